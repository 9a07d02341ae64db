"""Duplicate and replayed deliveries store and change nothing twice: Shopify, WooCommerce and the REST API.

Sequential redeliveries with the same id are covered in tests/recovery; here: the same checkout under two
delivery ids, a replay of a processed delivery, and identical deliveries sent at once over real HTTP (the
live server, one thread and one connection per request, against the real PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from recovery.models import Cart, CartEvent, WebhookDelivery
from recovery.services import delivery_process
from tests.factories import CartFactory, CustomerFactory
from tests.helpers import process_inbox
from tests.payloads import (
    API_TOKEN,
    http_headers,
    shopify_checkout,
    shopify_headers,
    woocommerce_headers,
    woocommerce_order,
)
from tests.reliability.helpers import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 8


def event_kinds(cart: Cart) -> list[str]:
    return list(cart.events.order_by("pk").values_list("kind", flat=True))


def post_shopify_http(base_url: str, payload: dict, **kwargs) -> requests.Response:
    body = json.dumps(payload).encode()
    headers = http_headers(shopify_headers(body, topic="checkouts/update", **kwargs))
    return requests.post(f"{base_url}/webhooks/shopify/", data=body, timeout=30,
                         headers={**headers, "Content-Type": "application/json"})


def post_woocommerce_http(base_url: str, payload: dict) -> requests.Response:
    body = json.dumps(payload).encode()
    headers = http_headers(woocommerce_headers(body))  # a new X-WC-Webhook-Delivery-ID each time
    return requests.post(f"{base_url}/webhooks/woocommerce/", data=body, timeout=30,
                         headers={**headers, "Content-Type": "application/json"})


def test_the_same_checkout_under_two_delivery_ids_makes_one_cart_and_one_event(shopify_store, live_url):
    # given the same checkout version sent twice, with different webhook and event ids
    payload = shopify_checkout()
    first = post_shopify_http(live_url, payload, webhook_id="delivery-a", event_id="event-a")
    second = post_shopify_http(live_url, payload, webhook_id="delivery-b", event_id="event-b")

    # when both deliveries are processed by two workers at once
    ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    statuses = run_concurrently([lambda pk=pk: delivery_process(delivery_id=pk).status for pk in ids])

    # then both were stored (they are different deliveries) but the cart exists and changed once
    assert [first.json(), second.json()] == [{"status": "accepted"}] * 2
    assert statuses == [WebhookDelivery.Status.PROCESSED] * 2
    cart = Cart.objects.get()
    assert cart.total_value == Decimal("3107.93")
    assert event_kinds(cart) == [CartEvent.Kind.CREATED, CartEvent.Kind.ABANDONED]  # quiet long enough: workable
    assert cart.line_items.count() == 2


def test_replaying_a_processed_delivery_changes_nothing(shopify_store, live_url):
    # given a delivery already processed
    post_shopify_http(live_url, shopify_checkout(), webhook_id="delivery-a")
    process_inbox()
    delivery = WebhookDelivery.objects.get()

    # when an admin replays it, twice, and a late worker processes it again
    replays = [delivery_process(delivery_id=delivery.pk, replay=True) for _ in range(2)]
    late = delivery_process(delivery_id=delivery.pk)

    # then the cart is the same one, with one event and the same items
    assert [r.status for r in replays] == [WebhookDelivery.Status.PROCESSED] * 2
    assert late.attempts == 3  # the late worker found it settled and did not run it again
    cart = Cart.objects.get()
    assert event_kinds(cart) == [CartEvent.Kind.CREATED, CartEvent.Kind.ABANDONED]
    assert cart.line_items.count() == 2


def test_identical_shopify_deliveries_sent_at_once_over_http_are_stored_and_applied_once(shopify_store, live_url):
    payload = shopify_checkout()

    responses = run_concurrently(
        [lambda: post_shopify_http(live_url, payload, webhook_id="same", event_id="same-event")] * COPIES)
    process_inbox()

    assert sorted(r.json()["status"] for r in responses) == ["accepted"] + ["duplicate"] * (COPIES - 1)
    assert WebhookDelivery.objects.count() == 1
    assert event_kinds(Cart.objects.get()) == [CartEvent.Kind.CREATED, CartEvent.Kind.ABANDONED]


def test_one_woocommerce_order_sent_at_once_under_many_delivery_ids_recovers_its_cart_once(woo_store, live_url):
    # given an abandoned cart, and the order completing it sent several times at once
    cart = CartFactory(store=woo_store, checkout_token="9d4f4a3c0c6b8e1e2f0a")

    responses = run_concurrently([lambda: post_woocommerce_http(live_url, woocommerce_order())] * COPIES)
    process_inbox()

    # then it was stored once (same order id and modification time) and recovered the cart once
    assert sorted(r.json()["status"] for r in responses) == ["accepted"] + ["duplicate"] * (COPIES - 1)
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED
    cart.refresh_from_db()
    assert (cart.status, cart.recovered_order_id, cart.recovered_value) == ("recovered", "727", Decimal("1909.00"))
    assert cart.events.filter(kind=CartEvent.Kind.ORDER_PLACED).count() == 1


def test_a_newer_version_of_a_woocommerce_order_after_the_recovery_records_it_once(woo_store, live_url):
    cart = CartFactory(store=woo_store, checkout_token="9d4f4a3c0c6b8e1e2f0a")

    post_woocommerce_http(live_url, woocommerce_order())
    post_woocommerce_http(live_url, woocommerce_order(date_modified_gmt="2026-11-20T17:00:00", status="completed"))
    process_inbox()

    assert WebhookDelivery.objects.count() == 2
    cart.refresh_from_db()
    assert cart.status == "recovered"
    assert cart.events.filter(kind=CartEvent.Kind.ORDER_PLACED).count() == 1
    assert cart.events.filter(kind=CartEvent.Kind.STATUS_CHANGED).count() == 1


def api_post(base_url: str, path: str, body: dict) -> requests.Response:
    return requests.post(f"{base_url}{path}", json=body, timeout=30, headers={"Authorization": f"Bearer {API_TOKEN}"})


def test_identical_cart_posts_sent_at_once_make_one_cart(custom_store, live_url):
    body = {"external_id": "cart-1001", "total": "849.50", "updated_at": "2026-11-20T15:00:00Z",
            "customer": {"email": "pat@example.com", "phone": "(415) 555-0123", "country": "US"},
            "line_items": [{"title": "4-Season Tent", "quantity": 1, "unit_price": "849.50"}]}

    responses = run_concurrently([lambda: api_post(live_url, "/api/v1/carts/", body)] * COPIES)

    assert sorted(r.status_code for r in responses) == [200] * (COPIES - 1) + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    cart = Cart.objects.get()
    assert event_kinds(cart) == [CartEvent.Kind.CREATED, CartEvent.Kind.ABANDONED]
    assert cart.line_items.count() == 1


def test_identical_order_reports_sent_at_once_recover_the_cart_once(custom_store, live_url):
    customer = CustomerFactory(store=custom_store, email="pat@example.com", phone="+14155550123")
    cart = CartFactory(store=custom_store, customer=customer, external_id="cart-1001", checkout_token="",
                       abandoned_at=timezone.now() - timedelta(days=1), total_value=Decimal("849.50"))
    body = {"order_id": "A-77", "total": "899.50", "placed_at": timezone.now().isoformat(),
            "cart_external_id": "cart-1001"}

    responses = run_concurrently([lambda: api_post(live_url, "/api/v1/orders/", body)] * COPIES)

    assert [r.status_code for r in responses] == [200] * COPIES
    assert {r.json()["recovered_cart"]["id"] for r in responses} == {cart.pk}
    cart.refresh_from_db()
    assert (cart.status, cart.recovered_order_id, cart.upsell_value) == ("recovered", "A-77", Decimal("50.00"))
    assert cart.events.filter(kind=CartEvent.Kind.ORDER_PLACED).count() == 1
    assert cart.events.filter(kind=CartEvent.Kind.STATUS_CHANGED).count() == 1
