from __future__ import annotations

import json
from decimal import Decimal

import pytest
from celery.exceptions import Retry

from recovery.models import Cart, CartEvent, Customer, WebhookDelivery
from tests.payloads import post_shopify, shopify_checkout, shopify_headers, shopify_order

pytestmark = pytest.mark.django_db




def test_checkout_create_is_stored_and_becomes_a_pending_cart(deliver, shopify_store):
    # when
    response = deliver(shopify_checkout(), topic="checkouts/create")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.topic == "checkouts/create"
    assert delivery.headers["X-Shopify-Topic"] == "checkouts/create"
    cart = Cart.objects.get()
    assert cart.store == shopify_store
    assert cart.checkout_token == "c1a2b3d4e5f60718293a4b5c6d7e8f90"
    assert cart.external_id == ""
    assert cart.status == Cart.Status.PENDING
    assert cart.total_value == Decimal("3107.93")
    assert cart.currency == "USD"
    assert cart.reached_payment_step is True
    assert [(i.title, i.quantity, i.unit_price, i.variant) for i in cart.line_items.all()] == [
        ("Trailhead E-Bike 500W", 1, Decimal("2499.00"), "Large / Slate"),
        ("Carbon Helmet MIPS", 2, Decimal("189.50"), "M"),
    ]
    assert cart.raw_payload["token"] == cart.checkout_token
    assert list(cart.events.values_list("kind", "source")) == [(CartEvent.Kind.CREATED, CartEvent.Source.SHOPIFY)]


def test_customer_phone_is_e164_from_address_country_and_consent_is_recorded(deliver):
    deliver(shopify_checkout())

    customer = Customer.objects.get()
    assert str(customer.phone) == "+12125550142"
    assert customer.phone_raw == "(212) 555-0142"
    assert customer.phone_invalid is False
    assert (customer.country, customer.region) == ("US", "NY")
    assert customer.external_id == "6939212513450"
    assert customer.accepts_email_marketing is True
    assert customer.accepts_sms_marketing is True
    assert str(customer.sms_marketing_phone) == "+12125550142"
    assert customer.sms_consent_source == "shopify_checkout"
    assert customer.sms_consent_at.isoformat() == "2026-11-20T15:15:00+00:00"


def test_national_phone_uses_the_address_country_as_region(deliver):
    address = {**shopify_checkout()["shipping_address"], "country_code": "GB", "phone": "020 7946 0958"}
    deliver(shopify_checkout(shipping_address=address, billing_address=address))

    assert str(Customer.objects.get().phone) == "+442079460958"


def test_internationalised_email_is_ingested_with_its_consent(deliver):
    from compliance.models import ConsentRecord

    email = "amélie.dupont@exemple.fr"
    deliver(shopify_checkout(email=email, customer={"id": 77, "email": email}))

    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED
    assert Customer.objects.get().email == "amélie.dupont@exemple.fr"
    assert ConsentRecord.objects.get(channel="email").email == "amélie.dupont@exemple.fr"


def test_unparseable_phone_is_kept_raw_flagged_and_cart_still_ingested(deliver):
    address = {**shopify_checkout()["shipping_address"], "phone": "call me after 6"}
    deliver(shopify_checkout(shipping_address=address, billing_address=address, sms_marketing_phone=None))

    customer = Customer.objects.get()
    assert customer.phone == ""
    assert customer.phone_raw == "call me after 6"
    assert customer.phone_invalid is True
    assert Cart.objects.count() == 1


def test_legacy_payload_with_numeric_id_is_accepted(deliver):
    deliver(shopify_checkout(legacy=True))

    cart = Cart.objects.get()
    assert cart.external_id == "35237611749546"
    assert cart.checkout_token == "c1a2b3d4e5f60718293a4b5c6d7e8f90"


def test_redelivery_with_same_webhook_id_is_stored_once(deliver):
    payload = shopify_checkout()
    first = deliver(payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    second = deliver(payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")

    assert first.json() == {"status": "accepted"}
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1
    assert Cart.objects.count() == 1
    assert CartEvent.objects.count() == 1


def test_same_event_id_from_another_delivery_is_a_duplicate(deliver):
    payload = shopify_checkout()
    deliver(payload, event_id="evt-1")
    response = deliver(payload, event_id="evt-1")

    assert response.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1


def test_out_of_order_update_never_rolls_the_cart_back(deliver):
    newer = shopify_checkout(updated_at="2026-11-20T10:30:00-05:00", total_price="500.00")
    older = shopify_checkout(updated_at="2026-11-20T10:20:00-05:00", total_price="100.00")

    deliver(newer)
    deliver(older)

    cart = Cart.objects.get()
    assert cart.total_value == Decimal("500.00")
    assert WebhookDelivery.objects.filter(outcome="stale update ignored").count() == 1


def test_newer_update_changes_the_cart_and_replaces_line_items(deliver):
    deliver(shopify_checkout(updated_at="2026-11-20T10:20:00-05:00"))
    items = [{"title": "Spare Battery 720Wh", "quantity": 1, "price": "649.00", "sku": "BAT-720"}]
    deliver(shopify_checkout(updated_at="2026-11-20T10:25:00-05:00", line_items=items, total_price="649.00",
                             discount_codes=[{"code": "SPRING15", "amount": "15.00", "type": "percentage"}]))

    cart = Cart.objects.get()
    assert cart.total_value == Decimal("649.00")
    assert list(cart.line_items.values_list("title", flat=True)) == ["Spare Battery 720Wh"]
    assert cart.discount_code_tried == "SPRING15"
    assert list(cart.events.values_list("kind", flat=True)) == ["created", "updated"]


def test_an_update_with_the_same_items_keeps_them_and_a_changed_quantity_replaces_them(deliver):
    # given
    deliver(shopify_checkout(updated_at="2026-11-20T10:20:00-05:00"))
    first = list(Cart.objects.get().line_items.values_list("pk", flat=True))

    # when: a new address only, then one more helmet
    deliver(shopify_checkout(updated_at="2026-11-20T10:22:00-05:00", note="leave at the door"))
    kept = list(Cart.objects.get().line_items.values_list("pk", flat=True))
    payload = shopify_checkout(updated_at="2026-11-20T10:25:00-05:00")
    payload["line_items"][1]["quantity"] = 3
    deliver(payload)

    # then
    cart = Cart.objects.get()
    assert kept == first
    assert [(item.position, item.title, item.quantity) for item in cart.line_items.all()] == [
        (0, "Trailhead E-Bike 500W", 1), (1, "Carbon Helmet MIPS", 3)]
    assert not set(cart.line_items.values_list("pk", flat=True)) & set(first)


def test_completed_checkout_is_never_worked(deliver):
    deliver(shopify_checkout(completed_at="2026-11-20T10:16:00-05:00"))

    cart = Cart.objects.get()
    assert cart.status == Cart.Status.COMPLETED
    assert cart.abandoned_at is None


def test_order_create_marks_an_abandoned_cart_recovered(deliver):
    deliver(shopify_checkout())
    Cart.objects.update(status=Cart.Status.OPEN, abandoned_at="2026-11-20T15:25:00Z")

    response = deliver(shopify_order(), topic="orders/create")

    assert response.status_code == 200
    cart = Cart.objects.get()
    assert cart.status == Cart.Status.RECOVERED
    assert cart.recovered_value == Decimal("3050.00")
    assert cart.recovered_order_id == "5678901234567"
    assert cart.recovered_at.isoformat() == "2026-11-20T16:40:00+00:00"
    assert cart.events.filter(kind=CartEvent.Kind.ORDER_PLACED).count() == 1


def test_legacy_order_matches_on_checkout_id(deliver):
    deliver(shopify_checkout(legacy=True))
    Cart.objects.update(status=Cart.Status.OPEN, abandoned_at="2026-11-20T15:25:00Z")

    deliver(shopify_order(checkout_token="", legacy_checkout_id=35237611749546), topic="orders/create")

    assert Cart.objects.get().status == Cart.Status.RECOVERED


def test_order_for_a_checkout_never_abandoned_is_completed_not_recovered(deliver):
    deliver(shopify_checkout())

    deliver(shopify_order(), topic="orders/create")

    assert Cart.objects.get().status == Cart.Status.COMPLETED


def test_order_with_no_matching_cart_is_ignored_but_kept(deliver):
    deliver(shopify_order(checkout_token="unknown"), topic="orders/create")

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert delivery.outcome == "no matching cart"


def test_cancelled_order_does_not_recover(deliver):
    deliver(shopify_checkout())
    Cart.objects.update(status=Cart.Status.OPEN, abandoned_at="2026-11-20T15:25:00Z")

    deliver(shopify_order(cancelled_at="2026-11-20T11:41:00-05:00"), topic="orders/updated")

    assert Cart.objects.get().status == Cart.Status.OPEN


def test_customers_redact_is_acknowledged_and_erases_the_customer(deliver):
    deliver(shopify_checkout(), topic="checkouts/create")
    payload = {"shop_id": 954889, "shop_domain": "demo-store.myshopify.com",
               "customer": {"id": 6939212513450, "email": "jane.doe@example.com", "phone": "555-625-1199"},
               "orders_to_redact": [299938, 280263]}

    response = deliver(payload, topic="customers/redact")

    assert response.status_code == 200
    redact = WebhookDelivery.objects.get(topic="customers/redact")
    assert redact.status == WebhookDelivery.Status.PROCESSED
    assert redact.outcome.startswith("customer erased")
    assert not Customer.objects.exists() and Cart.objects.get().raw_payload == {}


@pytest.mark.parametrize("header_case", [str.lower, str.upper, str.title])
def test_header_names_are_case_insensitive(client, shopify_store, header_case):
    body = json.dumps(shopify_checkout()).encode()
    meta = shopify_headers(body, topic="checkouts/create")
    headers = {header_case(k.removeprefix("HTTP_").replace("_", "-")): v for k, v in meta.items()}

    response = client.post("/webhooks/shopify/", data=body, content_type="application/json", headers=headers)

    assert response.status_code == 200


def test_bad_signature_is_refused_and_nothing_stored(client, shopify_store):
    response = post_shopify(client, shopify_checkout(), secret="not-the-secret")

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0
    assert Cart.objects.count() == 0


def test_signature_over_a_different_body_is_refused(client, shopify_store):
    body = json.dumps(shopify_checkout()).encode()
    headers = shopify_headers(body, topic="checkouts/update")
    tampered = body.replace(b"3107.93", b"0.01")

    response = client.post("/webhooks/shopify/", data=tampered, content_type="application/json", **headers)

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_missing_signature_is_refused(client, shopify_store):
    body = json.dumps(shopify_checkout()).encode()
    headers = shopify_headers(body, topic="checkouts/update")
    del headers["HTTP_X_SHOPIFY_HMAC_SHA256"]

    response = client.post("/webhooks/shopify/", data=body, content_type="application/json", **headers)

    assert response.status_code == 401


def test_unknown_shop_domain_is_refused(client, shopify_store):
    response = post_shopify(client, shopify_checkout(), shop="someone-else.myshopify.com")

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_store_secret_overrides_the_app_secret(client, shopify_store):
    shopify_store.webhook_secret = "store-own-secret"
    shopify_store.save()

    refused = post_shopify(client, shopify_checkout())
    accepted = post_shopify(client, shopify_checkout(), secret="store-own-secret")

    assert refused.status_code == 401
    assert accepted.status_code == 200


def test_get_is_not_allowed(client, shopify_store):
    assert client.get("/webhooks/shopify/").status_code == 405


def test_wrong_content_type_is_refused_with_415(client, shopify_store):
    response = post_shopify(client, b"token=abc", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert WebhookDelivery.objects.count() == 0


def test_malformed_json_is_kept_as_failed_and_answered_400(client, shopify_store):
    response = post_shopify(client, b'{"token": "abc", "total_price": ')

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert bytes(delivery.raw_body) == b'{"token": "abc", "total_price": '
    assert Cart.objects.count() == 0


@pytest.mark.parametrize("depth", [65, 100_000])  # past the product's limit; past json.loads' recursion
def test_json_nested_too_deep_is_kept_as_failed_and_answered_400(client, shopify_store, depth):
    body = b'{"token": ' + b"[" * depth + b"]" * depth + b"}"

    response = post_shopify(client, body)

    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["error"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED and bytes(delivery.raw_body) == body
    assert Cart.objects.count() == 0


def test_payload_that_cannot_be_processed_fails_visibly_and_can_be_replayed(deliver, shopify_store):
    from recovery.services import delivery_process

    with pytest.raises(Retry):  # the task asks Celery to try again later
        deliver(shopify_checkout(total_price="not-a-price"))

    assert WebhookDelivery.objects.count() == 1  # stored and answered 200 before processing
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "total_price" in delivery.outcome
    assert "PayloadError" in delivery.error
    assert delivery.attempts >= 1
    assert Cart.objects.count() == 0

    # given the bad value is fixed upstream and the payload corrected in place for the replay
    delivery.raw_body = json.dumps(shopify_checkout()).encode()
    delivery.save()
    replayed = delivery_process(delivery_id=delivery.pk, replay=True)
    assert replayed.status == WebhookDelivery.Status.PROCESSED
    assert Cart.objects.count() == 1


def test_body_of_several_megabytes_is_accepted(deliver):
    items = [{"title": f"Item {n} {'x' * 400}", "quantity": 1, "price": "1.00", "sku": f"SKU-{n}"} for n in range(8000)]
    payload = shopify_checkout(line_items=items, total_price="8000.00")
    assert len(json.dumps(payload)) > 3_000_000

    response = deliver(payload)

    assert response.status_code == 200
    assert Cart.objects.get().line_items.count() == 8000


def test_body_over_the_limit_is_refused_with_413(client, shopify_store, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_shopify(client, shopify_checkout())

    assert response.status_code == 413
    assert WebhookDelivery.objects.count() == 0


def test_unused_topic_is_kept_and_ignored(deliver):
    deliver({"id": 1, "title": "x"}, topic="products/update")

    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.IGNORED


def test_checkout_locale_gives_the_customer_language(deliver):
    deliver(shopify_checkout(customer_locale="es-MX"))

    assert Customer.objects.get().language == "es"
