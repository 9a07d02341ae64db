from __future__ import annotations

import pytest

from compliance.models import OptOut
from compliance.services.unsubscribe import unsubscribe_token

pytestmark = pytest.mark.django_db


def test_get_shows_a_confirmation_and_changes_nothing(client, shopify_store):
    token = unsubscribe_token(email="Pat@Example.com", store_id=shopify_store.pk)

    response = client.get(f"/unsubscribe/{token}/")

    assert response.status_code == 200
    assert b"pat@example.com" in response.content
    assert OptOut.objects.count() == 0


def test_post_unsubscribes_at_once(client, shopify_store):
    token = unsubscribe_token(email="pat@example.com", store_id=shopify_store.pk)

    response = client.post(f"/unsubscribe/{token}/")

    assert response.status_code == 200
    optout = OptOut.objects.get()
    assert (optout.email, optout.scope, optout.source, optout.store) == (
        "pat@example.com", "email", "email_link", shopify_store)


def test_forged_link_is_404(client):
    assert client.get("/unsubscribe/forged-token/").status_code == 404
    assert client.post("/unsubscribe/forged-token/").status_code == 404
    assert OptOut.objects.count() == 0
