"""Retention: the nightly purge of closed carts' personal data, which keeps the legally required records
(call detail and consent records, 5 years) held and marked, and erases them once their hold runs out."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from compliance.models import (
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    InboundMessage,
    LegalHold,
    PrivacyRequest,
)
from compliance.services.consent import consent_record
from compliance.services.erasure import retention_purge
from compliance.services.erasure.records import ERASED, ERASED_BODY
from compliance.tasks import purge_closed_carts_task
from recovery.models import Cart, Customer, WebhookDelivery
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PHONE = "+12125550142"


def closed_cart(store, *, days_ago: int, status=Cart.Status.LOST, customer=None, phone=PHONE):
    customer = customer or CustomerFactory(store=store, phone=phone)
    cart = CartFactory(store=store, customer=customer, status=status, raw_payload={"email": customer.email},
                       checkout_url="https://shop.example/recover?key=1")
    closed = timezone.now() - timedelta(days=days_ago)
    Cart.objects.filter(pk=cart.pk).update(updated_at=closed,
                                           recovered_at=closed if status == Cart.Status.RECOVERED else None)
    return cart


def attempt(store, cart, channel: str, *, days_ago: int = 400):
    at = timezone.now() - timedelta(days=days_ago)
    phone, email = (PHONE, "") if channel != "email" else ("", cart.customer.email)
    decision = ContactDecision.objects.create(at=at, requester="test", store=store, channel=channel, allowed=True,
                                              phone=phone, email=email)
    return ContactAttempt.objects.create(decision=decision, store=store, cart=cart, channel=channel, phone=phone,
                                         email=email, at=at)


def test_purges_only_closed_carts_past_the_retention_period(shopify_store):
    # given
    due = closed_cart(shopify_store, days_ago=settings.RETENTION_DAYS + 1)
    recovered = closed_cart(shopify_store, days_ago=settings.RETENTION_DAYS + 30, status=Cart.Status.RECOVERED)
    recent = closed_cart(shopify_store, days_ago=settings.RETENTION_DAYS - 1)
    still_open = closed_cart(shopify_store, days_ago=settings.RETENTION_DAYS + 30, status=Cart.Status.OPEN)

    # when
    run = retention_purge()

    # then
    assert run.kind == PrivacyRequest.Kind.RETENTION and run.counts["carts_erased"] == 2
    for cart in (due, recovered):
        cart.refresh_from_db()
        assert (cart.customer, cart.raw_payload, cart.checkout_url) == (None, {}, "")
    for cart in (recent, still_open):
        cart.refresh_from_db()
        assert cart.customer is not None and cart.raw_payload
    assert Customer.objects.count() == 2


def test_keeps_call_detail_and_consent_records_marked_and_erases_the_rest(shopify_store):
    # given
    cart = closed_cart(shopify_store, days_ago=400)
    call, text, email = (attempt(shopify_store, cart, channel) for channel in ("voice", "sms", "email"))
    consent = consent_record(store=shopify_store, customer=cart.customer, channel="sms", phone=PHONE, granted=True,
                             source="shopify_checkout")

    # when
    retention_purge()

    # then
    assert not Customer.objects.exists()
    call.refresh_from_db(), text.refresh_from_db(), email.refresh_from_db()
    assert call.phone == PHONE and (text.phone, email.email) == ("", "")
    assert ContactDecision.objects.get(attempt=call).phone == PHONE
    assert ContactDecision.objects.get(attempt=text).phone == ""
    holds = {hold.record_type: hold for hold in LegalHold.objects.all()}
    assert holds[LegalHold.Record.CONTACT_ATTEMPT].record_id == call.pk
    assert holds[LegalHold.Record.CONTACT_ATTEMPT].retained_until >= call.at + timedelta(days=5 * 365)
    assert "Telemarketing Sales Rule" in holds[LegalHold.Record.CONTACT_ATTEMPT].reason
    assert holds[LegalHold.Record.CONSENT_RECORD].record_id == consent.pk
    assert ConsentRecord.objects.get().phone == PHONE


def test_a_customer_with_a_newer_cart_is_kept(shopify_store):
    # given
    old = closed_cart(shopify_store, days_ago=400)
    newer = CartFactory(store=shopify_store, customer=old.customer)

    # when
    retention_purge()

    # then
    old.refresh_from_db(), newer.refresh_from_db()
    assert old.customer is None and newer.customer_id is not None
    assert Customer.objects.count() == 1


def test_is_idempotent_and_batched(shopify_store):
    # given
    for _ in range(3):
        closed_cart(shopify_store, days_ago=400)

    # when
    first = retention_purge(batch_size=1)
    second = retention_purge(batch_size=1)

    # then
    assert first.counts["carts_erased"] == 3 and first.counts["customers_deleted"] == 3
    assert second.counts == {}


def test_held_records_are_erased_once_their_hold_runs_out(shopify_store):
    # given
    cart = closed_cart(shopify_store, days_ago=400)
    call = attempt(shopify_store, cart, "voice")
    consent_record(store=shopify_store, customer=cart.customer, channel="sms", phone=PHONE, granted=True,
                   source="shopify_checkout")
    retention_purge()

    # when: five years and a day later
    run = retention_purge(now=timezone.now() + timedelta(days=5 * 366 + 1))

    # then
    call.refresh_from_db()
    assert call.phone == "" and ContactDecision.objects.get(attempt=call).phone == ""
    assert ConsentRecord.objects.get().phone == ""
    assert run.counts["legal_holds_released"] == 2
    assert not LegalHold.objects.filter(released_at__isnull=True).exists()


def test_old_webhook_bodies_and_decisions_are_erased(shopify_store):
    # given
    old_at, new_at = timezone.now() - timedelta(days=400), timezone.now() - timedelta(days=1)
    for key, at in (("old", old_at), ("new", new_at)):
        WebhookDelivery.objects.create(platform="shopify", store=shopify_store, topic="checkouts/update",
                                       dedup_key=key, raw_body=b'{"email": "jane@example.com"}', received_at=at,
                                       status=WebhookDelivery.Status.PROCESSED)
        ContactDecision.objects.create(at=at, requester=key, store=shopify_store, channel="sms", allowed=False,
                                       phone=PHONE)

    # when
    retention_purge()

    # then
    assert bytes(WebhookDelivery.objects.get(dedup_key="old").raw_body) == ERASED_BODY
    assert bytes(WebhookDelivery.objects.get(dedup_key="new").raw_body) != ERASED_BODY
    assert ContactDecision.objects.get(requester="old").phone == ""
    assert ContactDecision.objects.get(requester="new").phone == PHONE


def test_nightly_task_logs_counts_without_personal_data(shopify_store, caplog):
    # given
    closed_cart(shopify_store, days_ago=400)

    # when
    with caplog.at_level(logging.INFO, logger="compliance"):
        counts = purge_closed_carts_task.apply().get()

    # then
    assert counts["carts_erased"] == 1
    assert "carts_erased" in caplog.text and "@" not in caplog.text and PHONE not in caplog.text
    assert settings.CELERY_BEAT_SCHEDULE["purge-closed-carts-nightly"]["task"] == (
        "compliance.tasks.purge_closed_carts_task")


def test_inbound_texts_older_than_the_retention_period_are_blanked(shopify_store):
    # given
    for sid, days_ago in (("SMold", 400), ("SMnew", 1)):
        InboundMessage.objects.create(message_sid=sid, from_number=PHONE, body="Is it still in stock?",
                                      received_at=timezone.now() - timedelta(days=days_ago))

    # when
    first = retention_purge()
    second = retention_purge()

    # then
    assert InboundMessage.objects.filter(message_sid="SMold").values_list("from_number", "body").get() == ("", ERASED)
    assert InboundMessage.objects.get(message_sid="SMnew").from_number == PHONE
    assert (first.counts.get("inbound_messages_erased"), second.counts.get("inbound_messages_erased")) == (1, None)
