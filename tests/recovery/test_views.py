from __future__ import annotations

import pytest

from tests.factories import CartFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/carts/", "/agents/", "/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("url", ["/carts/", "/agents/"])
def test_agents_cannot_browse_carts_or_the_team(client, agent_user, url):
    client.force_login(agent_user)

    assert client.get(url).status_code == 403


def test_supervisor_sees_the_cart_list_and_a_cart(client, supervisor_user, shopify_store):
    cart = CartFactory(store=shopify_store)
    client.force_login(supervisor_user)

    listing = client.get("/carts/")
    detail = client.get(f"/carts/{cart.pk}/")

    assert listing.status_code == 200
    assert f'id="cart-{cart.pk}"'.encode() in listing.content
    assert detail.status_code == 200
    assert cart.customer.email.encode() in detail.content


def test_htmx_filter_returns_the_table_fragment_only(client, supervisor_user, shopify_store):
    open_cart = CartFactory(store=shopify_store, status="open")
    lost_cart = CartFactory(store=shopify_store, status="lost")
    client.force_login(supervisor_user)

    response = client.get("/carts/?status=lost", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="cart-table"' in response.content
    assert f'id="cart-{lost_cart.pk}"'.encode() in response.content
    assert f'id="cart-{open_cart.pk}"'.encode() not in response.content


def test_home_shows_headline_numbers_to_every_role(client, agent_user, shopify_store):
    CartFactory(store=shopify_store)
    client.force_login(agent_user)

    response = client.get("/")

    assert response.status_code == 200
    assert b"Abandoned carts" in response.content
    assert b'href="/carts/"' not in response.content  # agents are assigned carts, they do not browse


def test_admin_lists_webhook_deliveries(client, admin_user, shopify_store):
    client.force_login(admin_user)

    assert client.get("/admin/recovery/webhookdelivery/").status_code == 200
    assert client.get("/admin/recovery/cart/").status_code == 200


def test_a_cart_shows_its_follow_up(client, supervisor_user, shopify_store):
    from datetime import timedelta

    from django.utils import timezone

    from recovery.models import RecoveryMessage
    from tests.factories import CartFactory

    cart = CartFactory(store=shopify_store, route="call_first", call_attempts=2,
                       next_call_at=timezone.now() + timedelta(hours=3), next_message_step=2,
                       next_message_at=timezone.now() + timedelta(hours=20))
    RecoveryMessage.objects.create(cart=cart, step=1, channel="sms", status="sent", sent_at=timezone.now())
    client.force_login(supervisor_user)

    page = client.get(f"/carts/{cart.pk}/").content.decode()

    assert "Next call</dt><dd>not before" in page
    assert "step 2 due" in page
    assert "<strong>Text</strong> First message (1 hour), sent" in page  # the history, as the console shows it
