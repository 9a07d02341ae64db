"""Shopify signs a webhook's body, not its topic: each topic's body must have that topic's documented shape before
anything is applied, and a store is erased only once it is known to have uninstalled the app."""

from __future__ import annotations

import json
from collections import deque

import pytest
import time_machine

from compliance.models import PrivacyRequest
from recovery.models import Cart, Customer, Store, WebhookDelivery
from recovery.services import delivery_process
from tests.factories import StoreFactory
from tests.payloads import shopify_checkout, shopify_order
from tests.recovery.shopify_stand_in import ACCESS_TOKEN

pytestmark = pytest.mark.django_db

SHOP = "demo-store.myshopify.com"
SHOP_REDACT = {"shop_id": 954889, "shop_domain": SHOP}
UNINSTALLED = {"id": 954889, "name": "Demo Store", "domain": "shop.example.com", "myshopify_domain": SHOP}
CUSTOMER = {"id": 6939212513450, "email": "jane.doe@example.com", "phone": None}




def _delivery(topic: str) -> WebhookDelivery:
    return WebhookDelivery.objects.get(topic=topic)


@pytest.mark.parametrize("uninstalled", [False, True], ids=["installed", "uninstalled"])
@pytest.mark.parametrize("topic", ["shop/redact", "customers/redact", "customers/data_request"])
def test_a_signed_checkout_body_replayed_under_a_privacy_topic_erases_nothing(deliver, shopify_store, topic,
                                                                              uninstalled):
    # given Shopify's own signed checkouts/update delivery, applied
    body = shopify_checkout()
    deliver(body, topic="checkouts/update", webhook_id="original-delivery")
    if uninstalled:
        Store.objects.filter(pk=shopify_store.pk).update(uninstalled_at="2026-11-18T12:00:00Z")

    # when the same body and signature come back under a privacy topic with a new webhook id
    deliver(body, topic=topic, webhook_id="replayed-delivery", fails=True)

    # then nothing is erased or recorded, and the delivery failed saying why
    replayed = _delivery(topic)
    assert replayed.status == WebhookDelivery.Status.FAILED
    assert replayed.outcome.startswith(f"{topic} body refused: it lacks shop_id, shop_domain")
    assert "PayloadError" in replayed.error
    assert Customer.objects.get().email == "jane.doe@example.com"
    assert Cart.objects.get().raw_payload == body
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    ("topic", "payload", "missing"),
    [
        ("checkouts/create", shopify_checkout(token=""), "token"),
        ("checkouts/update", shopify_order(), "token"),
        ("orders/create", shopify_checkout(), "id"),
        ("orders/updated", {"checkout_token": "abc", "created_at": "2026-11-20T11:40:00-05:00"}, "id"),
        ("app/uninstalled", {"domain": SHOP}, "id"),
        ("shop/redact", {"shop_domain": SHOP}, "shop_id"),
        ("shop/redact", {"shop_id": 954889}, "shop_domain"),
        ("customers/redact", {**SHOP_REDACT, "customer": CUSTOMER}, "orders_to_redact"),
        ("customers/redact", {**SHOP_REDACT, "customer": {"email": "a@example.com"}, "orders_to_redact": []},
         "customer.id, customer.phone"),
        ("customers/redact", {"shop_domain": SHOP, "customer": CUSTOMER, "orders_to_redact": []}, "shop_id"),
        ("customers/data_request", {**SHOP_REDACT, "customer": CUSTOMER}, "orders_requested"),
        ("customers/data_request", {**SHOP_REDACT, "orders_requested": []}, "customer"),
    ],
)
def test_a_body_without_its_topics_documented_keys_is_refused_before_anything_is_applied(deliver, topic, payload,
                                                                                          missing):
    # given a customer and her cart
    deliver(shopify_checkout(token="f" * 32), topic="checkouts/create")

    # when
    deliver(payload, topic=topic, fails=True)

    # then
    delivery = _delivery(topic) if topic != "checkouts/create" else WebhookDelivery.objects.order_by("pk").last()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert f"body refused: it lacks {missing}" in delivery.outcome
    assert Cart.objects.count() == 1 and Customer.objects.count() == 1
    assert Store.objects.get().uninstalled_at is None
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize("topic", ["shop/redact", "customers/redact", "app/uninstalled"])
def test_a_body_naming_another_shop_or_none_is_refused(deliver, topic):
    deliver(shopify_checkout(), topic="checkouts/create")
    other = "someone-else.myshopify.com"
    payload = {"shop/redact": {"shop_id": 1, "shop_domain": other},
               "customers/redact": {"shop_id": 1, "shop_domain": other, "customer": CUSTOMER, "orders_to_redact": []},
               "app/uninstalled": {"id": 1, "domain": other, "myshopify_domain": other}}[topic]

    deliver(payload, topic=topic, fails=True)

    assert "is not the signing store's (demo-store.myshopify.com)" in _delivery(topic).outcome
    assert Customer.objects.exists() and Store.objects.get().uninstalled_at is None


def test_an_unknown_topic_is_kept_and_ignored_saying_so(deliver):
    deliver(shopify_checkout(), topic="shop/erase_everything")

    delivery = _delivery("shop/erase_everything")
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert delivery.outcome == "topic shop/erase_everything is not used"
    assert Cart.objects.count() == 0


def test_shop_redact_before_app_uninstalled_waits_and_erases_once_replayed_after_it(
        deliver, shopify_store, django_capture_on_commit_callbacks):
    # given a store with a customer, no Admin API token and no app/uninstalled delivery yet
    deliver(shopify_checkout(), topic="checkouts/create")

    # when a genuine shop/redact arrives
    deliver(SHOP_REDACT, topic="shop/redact", fails=True)

    # then nothing is erased and the delivery says why
    redact = _delivery("shop/redact")
    assert redact.status == WebhookDelivery.Status.FAILED
    assert redact.outcome.startswith("store not known to be uninstalled: no app/uninstalled delivery received")
    assert Customer.objects.exists() and not PrivacyRequest.objects.exists()

    # when the app/uninstalled delivery is processed and the shop/redact replayed from the admin
    deliver(UNINSTALLED, topic="app/uninstalled")
    shopify_store.refresh_from_db()
    assert shopify_store.uninstalled_at.isoformat() == "2026-11-20T15:16:00+00:00"
    assert _delivery("app/uninstalled").outcome == "app uninstalled: noted at 2026-11-20 15:16 UTC"
    with (time_machine.travel("2026-11-22T15:16:00Z", tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        replayed = delivery_process(delivery_id=redact.pk, replay=True)

    # then the store is erased
    assert replayed.status == WebhookDelivery.Status.PROCESSED, replayed.outcome
    assert replayed.outcome == "store erasure queued (app uninstalled at 2026-11-20 15:16 UTC)"
    assert not Customer.objects.exists()
    assert PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.SHOP_REDACT).completed_at is not None


def test_a_second_app_uninstalled_keeps_the_first_time(deliver, shopify_store):
    deliver(UNINSTALLED, topic="app/uninstalled")
    with time_machine.travel("2026-11-21T09:00:00Z", tick=False):
        delivery_process(delivery_id=_delivery("app/uninstalled").pk, replay=True)

    shopify_store.refresh_from_db()
    assert shopify_store.uninstalled_at.isoformat() == "2026-11-20T15:16:00+00:00"


@pytest.fixture
def store_with_token(shopify_store, shopify_api):
    shopify_store.shopify_admin_access_token = ACCESS_TOKEN
    shopify_store.save()
    return shopify_store


def test_shop_redact_asks_shopify_and_a_401_for_the_token_confirms_the_uninstall(deliver, store_with_token,
                                                                                 shopify_api):
    # given Shopify no longer knows the store's token (revoked on uninstall): the stand-in answers 401
    deliver(shopify_checkout(), topic="checkouts/create")

    # when
    deliver(SHOP_REDACT, topic="shop/redact")

    # then
    redact = _delivery("shop/redact")
    assert redact.status == WebhookDelivery.Status.PROCESSED, redact.outcome
    assert redact.outcome == ("store erasure queued (app uninstalled: Shopify answered 401 for the store's "
                              "Admin API token)")
    assert shopify_api.requests[-1]["token"] == ACCESS_TOKEN
    assert "ShopStillInstalled" in shopify_api.requests[-1]["query"]
    assert Store.objects.get().uninstalled_at is not None
    assert not Customer.objects.exists()


def test_shop_redact_while_shopify_still_accepts_the_token_erases_nothing(deliver, store_with_token, shopify_api):
    # given the app is installed: Shopify answers the store's token
    shopify_api.checkouts[ACCESS_TOKEN] = []
    deliver(shopify_checkout(), topic="checkouts/create")

    # when
    deliver(SHOP_REDACT, topic="shop/redact", fails=True)

    # then
    redact = _delivery("shop/redact")
    assert redact.status == WebhookDelivery.Status.FAILED
    assert "Shopify still accepts the store's Admin API token" in redact.outcome
    assert Store.objects.get().uninstalled_at is None
    assert Customer.objects.exists() and not PrivacyRequest.objects.exists()


def test_shop_redact_when_shopify_cannot_answer_erases_nothing(deliver, store_with_token, shopify_api):
    shopify_api.checkouts[ACCESS_TOKEN] = []
    shopify_api.faults[ACCESS_TOKEN] = deque(["503"])
    deliver(shopify_checkout(), topic="checkouts/create")

    deliver(SHOP_REDACT, topic="shop/redact", fails=True)

    assert "cannot tell whether the app is installed (HTTP 503" in _delivery("shop/redact").outcome
    assert Customer.objects.exists()


def test_a_delivery_for_another_store_leaves_this_one_alone(deliver, shopify_store):
    other = StoreFactory(shop_domain="other-store.myshopify.com")
    deliver({**UNINSTALLED, "myshopify_domain": other.shop_domain}, topic="app/uninstalled", shop=other.shop_domain)

    assert Store.objects.get(pk=other.pk).uninstalled_at is not None
    assert Store.objects.get(pk=shopify_store.pk).uninstalled_at is None
    assert json.loads(bytes(_delivery("app/uninstalled").raw_body))["myshopify_domain"] == other.shop_domain


def test_the_store_admin_shows_when_the_app_was_uninstalled(deliver, shopify_store, admin_client):
    deliver(UNINSTALLED, topic="app/uninstalled")

    page = admin_client.get(f"/admin/recovery/store/{shopify_store.pk}/change/").content.decode()

    assert "Uninstalled at" in page and "Nov. 20, 2026" in page
