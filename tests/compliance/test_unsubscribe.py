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


def test_a_second_post_of_the_same_link_records_no_second_optout(client, shopify_store):
    # given
    token = unsubscribe_token(email="pat@example.com", store_id=shopify_store.pk)

    # when
    first = client.post(f"/unsubscribe/{token}/")
    second = client.post(f"/unsubscribe/{token}/")

    # then: one opt-out, and the same confirmation both times
    assert OptOut.objects.count() == 1
    for response in (first, second):
        assert response.status_code == 200
        assert "You're unsubscribed" in response.content.decode() and "pat@example.com" in response.content.decode()


def test_the_service_returns_the_optout_in_force_and_reopens_only_after_an_opt_in(shopify_store):
    from compliance.services.optouts import optin_record
    from compliance.services.unsubscribe import unsubscribe_confirm

    token = unsubscribe_token(email="Pat@Example.com", store_id=shopify_store.pk)
    first = unsubscribe_confirm(token=token)
    assert unsubscribe_confirm(token=token) == first

    optin_record(email="pat@example.com", scope="email", source=OptOut.Source.ADMIN)
    again = unsubscribe_confirm(token=token)

    assert again != first and again.action == OptOut.Action.OPT_OUT
    assert list(OptOut.objects.order_by("pk").values_list("action", flat=True)) == ["opt_out", "opt_in", "opt_out"]
