"""A webhook that arrives while the database is unreachable is refused with 503 (so the sender retries it, as
Shopify and WooCommerce do on any answer but 2xx), nothing is stored, and the retry is stored once.

The database is made really unreachable, over real HTTP to the live server: every connection to this run's
test database is cut and new ones are refused (`ALLOW_CONNECTIONS false`), then allowed again.
"""

from __future__ import annotations

import json

import pytest
import requests

from recovery.models import Cart, WebhookDelivery
from tests.helpers import process_inbox
from tests.payloads import (
    API_TOKEN,
    cart_body,
    http_headers,
    shopify_checkout,
    shopify_headers,
    woocommerce_headers,
    woocommerce_order,
)
from tests.reliability.helpers import database_unavailable

pytestmark = pytest.mark.django_db(transaction=True)


def shopify_delivery(base_url: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps(shopify_checkout()).encode()
    headers = http_headers(shopify_headers(body, topic="checkouts/update", webhook_id="delivery-1",
                                           event_id="event-1"))
    return f"{base_url}/webhooks/shopify/", body, headers


def woocommerce_delivery(base_url: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps(woocommerce_order()).encode()
    return f"{base_url}/webhooks/woocommerce/", body, http_headers(woocommerce_headers(body))


def send(delivery: tuple[str, bytes, dict[str, str]]) -> requests.Response:
    url, body, headers = delivery
    return requests.post(url, data=body, timeout=30, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("make_delivery", [shopify_delivery, woocommerce_delivery], ids=["shopify", "woocommerce"])
def test_a_delivery_during_an_outage_is_refused_with_503_and_its_retry_is_stored_once(
        shopify_store, woo_store, live_url, make_delivery):
    delivery = make_delivery(live_url)

    # when the delivery arrives while the database is unreachable
    with database_unavailable():
        refused = send(delivery)

    # then it is refused with a clean, retryable answer
    assert refused.status_code == 503
    assert refused.headers["Retry-After"].isdigit()
    assert refused.headers["Content-Type"] == "application/json"
    assert "database" in refused.json()["error"]
    # and nothing was stored
    assert WebhookDelivery.objects.count() == 0

    # when the sender retries the same delivery once the database is back (and once more, as senders do)
    retried, again = send(delivery), send(delivery)
    process_inbox()

    # then it is stored and applied once
    assert (retried.status_code, retried.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert WebhookDelivery.objects.get().status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED)


def test_a_checkout_retried_after_the_outage_becomes_one_cart(shopify_store, live_url):
    delivery = shopify_delivery(live_url)
    with database_unavailable():
        assert send(delivery).status_code == 503
        assert send(delivery).status_code == 503  # Shopify's next retry, still down

    assert send(delivery).status_code == 200
    process_inbox()

    assert Cart.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_connections_cut_by_a_database_restart_are_replaced_on_the_next_delivery(shopify_store, live_url):
    # given a connection the web server already holds
    assert send(shopify_delivery(live_url)).status_code == 200

    # when the database drops every connection (a restart, a failover) and is back at once
    with database_unavailable():
        pass

    # then the next delivery gets a fresh connection instead of an error
    body = json.dumps(shopify_checkout(token="second-checkout")).encode()
    headers = http_headers(shopify_headers(body, topic="checkouts/update"))
    response = requests.post(f"{live_url}/webhooks/shopify/", data=body, timeout=30,
                             headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 2


def test_a_cart_sent_to_the_api_during_an_outage_is_refused_with_503_and_its_retry_stored_once(custom_store,
                                                                                                  live_url):
    def post() -> requests.Response:
        return requests.post(f"{live_url}/api/v1/carts/", json=cart_body(), timeout=30,
                             headers={"Authorization": f"Bearer {API_TOKEN}"})

    with database_unavailable():
        refused = post()
    assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
    assert "database" in refused.json()["error"]
    assert Cart.objects.count() == 0

    assert [post().status_code, post().status_code] == [201, 200]  # the retry, then a repeat: one cart
    assert Cart.objects.count() == 1
