from __future__ import annotations

import json
from decimal import Decimal

import pytest

from recovery.models import Cart, WebhookDelivery
from tests.factories import CartFactory
from tests.helpers import process_inbox
from tests.payloads import post_woocommerce, woocommerce_headers, woocommerce_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(client, woo_store, django_capture_on_commit_callbacks):
    def _deliver(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_woocommerce(client, payload, **kwargs)
            process_inbox()
            return response

    return _deliver


def test_unsigned_ping_on_webhook_creation_is_answered_and_nothing_stored(client, woo_store):
    response = client.post("/webhooks/woocommerce/", data={"webhook_id": "12"})

    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 0


def test_paid_order_recovers_the_cart_with_the_same_cart_hash(deliver, woo_store):
    cart = CartFactory(store=woo_store, checkout_token="9d4f4a3c0c6b8e1e2f0a")

    response = deliver(woocommerce_order(), topic="order.created")

    assert response.status_code == 200
    cart.refresh_from_db()
    assert cart.status == Cart.Status.RECOVERED
    assert cart.recovered_value == Decimal("1909.00")
    assert cart.recovered_order_id == "727"
    assert cart.recovered_at.isoformat() == "2026-11-20T16:45:00+00:00"


def test_resent_order_version_is_deduplicated_on_id_and_date_modified(deliver, woo_store):
    CartFactory(store=woo_store, checkout_token="9d4f4a3c0c6b8e1e2f0a")

    first = deliver(woocommerce_order())
    again = deliver(woocommerce_order())  # a new delivery id, same order version
    newer = deliver(woocommerce_order(date_modified_gmt="2026-11-20T17:00:00"))

    assert first.json()["status"] == "accepted"
    assert again.json()["status"] == "duplicate"
    assert newer.json()["status"] == "accepted"
    assert WebhookDelivery.objects.count() == 2


def test_unpaid_order_does_not_recover(deliver, woo_store):
    cart = CartFactory(store=woo_store, checkout_token="9d4f4a3c0c6b8e1e2f0a")

    deliver(woocommerce_order(status="pending"))

    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.IGNORED


def test_bad_signature_is_refused_and_nothing_stored(client, woo_store):
    response = post_woocommerce(client, woocommerce_order(), secret="wrong")

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_unknown_source_is_refused(client, woo_store):
    response = post_woocommerce(client, woocommerce_order(), source="https://unknown.example.org/")

    assert response.status_code == 401


def test_shopify_store_cannot_post_to_the_woocommerce_endpoint(client, shopify_store):
    response = post_woocommerce(client, woocommerce_order(), source="https://demo-store.myshopify.com/")

    assert response.status_code == 401


def test_malformed_body_is_kept_as_failed(client, woo_store):
    body = b"{not json"
    response = client.post("/webhooks/woocommerce/", data=body, content_type="application/json",
                           **woocommerce_headers(body))

    assert response.status_code == 400
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


@pytest.mark.parametrize("depth", [65, 100_000])  # past the product's limit; past json.loads' recursion
def test_json_nested_too_deep_is_kept_as_failed_and_answered_400(client, woo_store, depth):
    body = b'{"id": 727, "line_items": ' + b"[" * depth + b"]" * depth + b"}"

    response = client.post("/webhooks/woocommerce/", data=body, content_type="application/json",
                           **woocommerce_headers(body))

    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["error"]
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
    assert Cart.objects.count() == 0


def test_json_that_is_not_an_object_is_kept_as_failed(client, woo_store):
    body = json.dumps([1, 2]).encode()
    response = client.post("/webhooks/woocommerce/", data=body, content_type="application/json",
                           **woocommerce_headers(body))

    assert response.status_code == 400
