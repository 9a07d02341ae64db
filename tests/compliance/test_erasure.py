"""Erasure: Shopify's `customers/redact` and `shop/redact`, `manage.py erase_customer`, the suppression that
outlives the erased person, and the append-only protection that still refuses everything else."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from agents.models import Call
from compliance.models import (
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    InboundMessage,
    LegalHold,
    OptOut,
    PrivacyRequest,
    Suppression,
)
from compliance.models.privacy import suppression_digest
from compliance.selectors_privacy import customer_data_export
from compliance.services.dnc import dnc_add_numbers, dnc_list_get_or_create
from compliance.services.dnc.lists import dnc_number_listed
from compliance.services.erasure.records import ERASED, ERASED_BODY, request_bind
from compliance.services.gate import check_contact
from compliance.services.inbound import inbound_sms_handle
from compliance.services.optouts import optout_record
from recovery.models import Cart, Customer, RecoveryMessage, WebhookDelivery
from tests.factories import UserFactory
from tests.helpers import process_inbox
from tests.payloads import post_shopify, shopify_checkout

pytestmark = pytest.mark.django_db

PHONE, EMAIL, CUSTOMER_ID = "+12125550142", "jane.doe@example.com", 6939212513450
NOW = "2026-11-20T16:00:00Z"  # 11:00 in New York: inside calling hours
REDACT = {"shop_id": 954889, "shop_domain": "demo-store.myshopify.com",
          "customer": {"id": CUSTOMER_ID, "email": EMAIL, "phone": "(212) 555-0142"},
          "orders_to_redact": [5678901234567]}


@pytest.fixture
def deliver(client, shopify_store, django_capture_on_commit_callbacks):
    """Post a signed Shopify webhook, then process the inbox with the real task (eagerly)."""

    def _deliver(payload, **kwargs):
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            response = post_shopify(client, payload, **kwargs)
            process_inbox()
            return response

    return _deliver


@pytest.fixture
def history(deliver, shopify_store):
    """Jane's checkout as Shopify sent it, worked by the team: a call with notes, a text, an email, a message,
    an SMS opt-out (inbound body), an email unsubscribe and the internal DNC list."""
    deliver(shopify_checkout(), topic="checkouts/create")
    cart = Cart.objects.get()
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.LOST, recovered_order_id="5678901234567",
                                           status_reason=f"Closed: {PHONE} did not answer")
    agent = UserFactory(username="maya")
    at = timezone.now() - timedelta(days=1)
    attempts = {}
    for channel, phone, email in (("voice", PHONE, ""), ("sms", PHONE, ""), ("email", "", EMAIL)):
        decision = ContactDecision.objects.create(at=at, requester="test", store=shopify_store, channel=channel,
                                                  allowed=True, phone=phone, email=email)
        attempts[channel] = ContactAttempt.objects.create(decision=decision, store=shopify_store, cart=cart,
                                                          channel=channel, phone=phone, email=email, at=at,
                                                          provider_error=f"21610 {phone or email} unsubscribed")
    Call.objects.create(cart=cart, agent=agent, attempt=attempts["voice"], opened_at=at,
                        notes="Jane prefers calls after 6pm", friction_notes="Card declined", offer_notes="Free ship")
    RecoveryMessage.objects.create(cart=cart, step=1, channel="email", status="sent", recipient=EMAIL,
                                   attempt=attempts["email"])
    optout_record(phone=PHONE, scope="sms", source=OptOut.Source.SMS, evidence="SMS SM123: stop texting me Jane here",
                  store=shopify_store)
    optout_record(email=EMAIL, scope="email", source=OptOut.Source.EMAIL_LINK, evidence="unsubscribe link",
                  store=shopify_store)
    internal, _ = dnc_list_get_or_create(name="internal")
    dnc_add_numbers(dnc_list=internal, phones=[PHONE], source="agent maya: customer request")
    return {"cart": cart, "attempts": attempts, "internal": internal}


def test_customers_redact_webhook_erases_the_customer_everywhere(deliver, history, shopify_store):
    # when
    response = deliver(REDACT, topic="customers/redact")

    # then
    assert response.status_code == 200
    redact = WebhookDelivery.objects.get(topic="customers/redact")
    assert redact.status == WebhookDelivery.Status.PROCESSED, redact.error
    assert not Customer.objects.exists()
    cart = Cart.objects.get()
    assert (cart.customer, cart.raw_payload, cart.checkout_url, cart.error_text) == (None, {}, "", "")
    assert PHONE not in cart.status_reason and cart.total_value > 0 and cart.line_items.count() == 2
    call = Call.objects.get()
    assert (call.notes, call.friction_notes, call.offer_notes) == (ERASED, ERASED, ERASED)
    assert RecoveryMessage.objects.get().recipient == ""
    attempts = {row.channel: row for row in ContactAttempt.objects.all()}
    assert (attempts["sms"].phone, attempts["sms"].provider_error) == ("", "")
    assert attempts["email"].email == ""
    assert attempts["voice"].phone == PHONE  # the call detail record, held 5 years
    hold = LegalHold.objects.get(record_type=LegalHold.Record.CONTACT_ATTEMPT)
    assert hold.record_id == attempts["voice"].pk and hold.retained_until > timezone.now() + timedelta(days=1820)
    decisions = {row.channel: row for row in ContactDecision.objects.filter(requester="test")}
    assert (decisions["sms"].phone, decisions["email"].email) == ("", "")
    assert decisions["voice"].phone == PHONE  # part of the held call record
    assert set(OptOut.objects.values_list("phone", "email", "evidence")) == {("", "", "")}
    consent = ConsentRecord.objects.filter(channel="sms").get()
    assert consent.phone == PHONE  # consent records: kept whole 5 years, and marked
    assert LegalHold.objects.filter(record_type=LegalHold.Record.CONSENT_RECORD, record_id=consent.pk).exists()
    assert not dnc_number_listed(history["internal"].pk, PHONE)
    for delivery in WebhookDelivery.objects.all():
        assert bytes(delivery.raw_body) == ERASED_BODY
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.CUSTOMER_REDACT)
    assert request.completed_at and request.subject == {} and request.counts["customers_deleted"] == 1
    assert set(Suppression.objects.values_list("digest", "scope", "reason")) == {
        (suppression_digest(phone=PHONE), "sms", "opted_out"),
        (suppression_digest(phone=PHONE), "all", "dnc_internal"),
        (suppression_digest(email=EMAIL), "email", "opted_out"),
    }


def test_after_erasure_the_gate_denies_a_new_cart_for_the_same_person(deliver, history, shopify_store):
    # given
    deliver(REDACT, topic="customers/redact")

    # when: the same person checks out again
    deliver(shopify_checkout("a-new-checkout-token"), topic="checkouts/create")

    # then
    cart = Cart.objects.get(checkout_token="a-new-checkout-token")
    at = timezone.now().replace(hour=16, minute=0)
    for channel in ("voice", "sms", "email"):
        decision = check_contact(channel=channel, store=shopify_store, phone=PHONE, email=EMAIL, at=at, cart=cart,
                                 customer=cart.customer)
        assert not decision.allowed
        assert "suppressed_after_erasure" in decision.reasons, (channel, decision.reasons)


def test_suppression_follows_its_scope_and_leaves_everyone_else_alone(shopify_store):
    # given: an erased person who had opted out of emails only
    Suppression.objects.create(digest=suppression_digest(email=EMAIL), scope="email", reason="opted_out")
    at = timezone.now().replace(hour=16, minute=0)

    # then
    assert "suppressed_after_erasure" in check_contact(channel="email", store=shopify_store,
                                                       email="Jane.Doe@Example.com", at=at).reasons
    assert "suppressed_after_erasure" not in check_contact(channel="voice", store=shopify_store, phone=PHONE,
                                                           email=EMAIL, at=at).reasons
    assert "suppressed_after_erasure" not in check_contact(channel="email", store=shopify_store,
                                                           email="someone.else@example.com", at=at).reasons


def test_a_second_identical_request_changes_nothing(deliver, history):
    # given
    deliver(REDACT, topic="customers/redact")
    before = {model.__name__: list(model.objects.order_by("pk").values()) for model in
              (Cart, ContactAttempt, ContactDecision, OptOut, ConsentRecord, Suppression, LegalHold, Call)}

    # when
    deliver(REDACT, topic="customers/redact")

    # then
    second = PrivacyRequest.objects.filter(kind=PrivacyRequest.Kind.CUSTOMER_REDACT).order_by("pk").last()
    assert second.counts == {"webhook_deliveries_erased": 1}  # only the second request's own body
    after = {model.__name__: list(model.objects.order_by("pk").values()) for model in
             (Cart, ContactAttempt, ContactDecision, OptOut, ConsentRecord, Suppression, LegalHold, Call)}
    assert after == before


def test_other_customers_and_stores_are_untouched(deliver, history, shopify_store):
    # given
    deliver(shopify_checkout("other-token", email="sam@example.com", sms_marketing_phone="+12125550199",
                             customer={"id": 1, "email": "sam@example.com"},
                             shipping_address={"phone": "(212) 555-0199", "country_code": "US"},
                             billing_address={"phone": "(212) 555-0199", "country_code": "US"}),
            topic="checkouts/create")

    # when
    deliver(REDACT, topic="customers/redact")

    # then
    sam = Customer.objects.get()
    assert sam.email == "sam@example.com"
    assert Cart.objects.get(checkout_token="other-token").raw_payload["email"] == "sam@example.com"
    assert [b"other-token" in bytes(row.raw_body) for row in WebhookDelivery.objects.order_by("pk")] == [
        False, True, False]  # Jane's checkout and the request erased, Sam's checkout kept


def test_shop_redact_erases_every_customer_of_the_store(deliver, history, shopify_store):
    # given the app was uninstalled (Shopify sends shop/redact 48 hours later)
    deliver({"id": 954889, "domain": "shop.example.com", "myshopify_domain": "demo-store.myshopify.com"},
            topic="app/uninstalled")

    # when
    response = deliver({"shop_id": 954889, "shop_domain": "demo-store.myshopify.com"}, topic="shop/redact")

    # then
    assert response.status_code == 200
    assert not Customer.objects.filter(store=shopify_store).exists()
    assert Cart.objects.get().raw_payload == {}
    assert all(bytes(row.raw_body) == ERASED_BODY for row in WebhookDelivery.objects.all())
    assert set(OptOut.objects.values_list("phone", "email")) == {("", "")}
    assert ContactAttempt.objects.get(channel="voice").phone == PHONE
    assert PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.SHOP_REDACT).completed_at is not None


def test_data_request_is_recorded_and_exported_as_json(deliver, history, shopify_store):
    # when
    deliver({"shop_id": 954889, "shop_domain": "demo-store.myshopify.com", "orders_requested": [5678901234567],
             "customer": {"id": CUSTOMER_ID, "email": EMAIL, "phone": "(212) 555-0142"},
             "data_request": {"id": 9999}}, topic="customers/data_request")

    # then
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.DATA_REQUEST)
    export = json.loads(json.dumps(customer_data_export(request)))
    assert export["customers"][0]["email"] == EMAIL and export["customers"][0]["phone"] == PHONE
    assert export["carts"][0]["items"] and export["calls"][0]["notes"] == "Jane prefers calls after 6pm"
    assert {row["channel"] for row in export["contact_attempts"]} == {"voice", "sms", "email"}
    assert export["request"]["reference"] == "9999"


def test_data_request_export_from_the_admin(deliver, history, admin_client):
    deliver({"shop_id": 954889, "shop_domain": "demo-store.myshopify.com", "orders_requested": [],
             "customer": {"id": None, "email": EMAIL, "phone": None}, "data_request": {"id": 1}},
            topic="customers/data_request")
    request = PrivacyRequest.objects.get()

    response = admin_client.post("/admin/compliance/privacyrequest/",
                                 {"action": "export_customer_data", "_selected_action": [request.pk]})

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)[0]["customers"][0]["email"] == EMAIL


def test_redact_for_another_shop_fails_visibly(deliver, history):
    with pytest.raises(Retry):  # the failed delivery is kept, and retried
        deliver({**REDACT, "shop_domain": "someone-else.myshopify.com"}, topic="customers/redact")

    assert WebhookDelivery.objects.get(topic="customers/redact").status == WebhookDelivery.Status.FAILED
    assert Customer.objects.exists()


def test_erase_customer_command(history, shopify_store):
    # when: a dry run changes nothing
    call_command("erase_customer", "--store", "demo-store.myshopify.com", "--email", EMAIL.upper(), "--dry-run",
                 verbosity=0)
    assert Customer.objects.exists() and not Suppression.objects.exists()

    # when
    call_command("erase_customer", "--store", "DEMO-store.myshopify.com", "--phone", "(212) 555-0142",
                 "--suppress", verbosity=0)

    # then
    assert not Customer.objects.exists()
    assert Suppression.objects.filter(digest=suppression_digest(phone=PHONE), scope="all",
                                      reason="requested").exists()
    assert Suppression.objects.filter(digest=suppression_digest(email=EMAIL), scope="all").exists()
    assert PrivacyRequest.objects.get().source == PrivacyRequest.Source.COMMAND


def test_erase_customer_command_refuses_an_unknown_store(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("erase_customer", "--store", "nope.example.com", "--email", EMAIL)


# --- The append-only protection ---------------------------------------------------------------------------------


def _refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


@pytest.mark.parametrize("table", ["compliance_contactdecision", "compliance_optout", "compliance_consentrecord"])
def test_append_only_tables_still_refuse_other_updates_and_deletes(history, shopify_store, table):
    # given
    request = PrivacyRequest.objects.create(kind="customer_redact", source="command", at=timezone.now())
    from django.apps import apps

    model = next(m for m in apps.get_app_config("compliance").get_models() if m._meta.db_table == table)
    row_id = model.objects.exclude(phone="").values_list("pk", flat=True).first() or model.objects.first().pk

    # then: without a bound request, nothing changes
    assert _refused(f"UPDATE {table} SET phone = '' WHERE id = %s", [row_id])
    assert _refused(f"DELETE FROM {table} WHERE id = %s", [row_id])
    with transaction.atomic():
        request_bind(request)
        # with one, only blanking the personal columns passes
        assert _refused(f"DELETE FROM {table} WHERE id = %s", [row_id])
        assert _refused(f"UPDATE {table} SET phone = '+19995550000' WHERE id = %s", [row_id])
        assert _refused(f"UPDATE {table} SET at = at - interval '1 day' WHERE id = %s", [row_id])
        assert not _refused(f"UPDATE {table} SET phone = '', email = '' WHERE id = %s", [row_id])


def test_a_bound_request_must_exist(history):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('compliance.privacy_request', '999999', true)")
        assert _refused("UPDATE compliance_optout SET phone = ''", [])


def test_erase_customer_command_refuses_a_number_that_is_not_one(shopify_store):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a valid phone number"):
        call_command("erase_customer", "--store", shopify_store.shop_domain, "--phone", "+1 000")
    assert not PrivacyRequest.objects.exists()


def test_erasure_blanks_the_persons_inbound_texts_and_a_replay_stays_refused(deliver, history, shopify_store):
    # given: Jane answered the store's text (the store that texted her last), and someone else texted too
    jane = inbound_sms_handle(message_sid="SM" + "3" * 32, from_number=PHONE, body="Jane here, call me after 6")
    other = inbound_sms_handle(message_sid="SM" + "4" * 32, from_number="+12125550199", body="Sam here")
    assert jane.message.store == shopify_store

    # when
    deliver(REDACT, topic="customers/redact")

    # then
    erased = InboundMessage.objects.get(pk=jane.message.pk)
    assert (erased.from_number, erased.body, erased.message_sid) == ("", ERASED, "SM" + "3" * 32)
    assert InboundMessage.objects.get(pk=other.message.pk).body == "Sam here"
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.CUSTOMER_REDACT)
    assert request.counts["inbound_messages_erased"] == 1
    assert inbound_sms_handle(message_sid="SM" + "3" * 32, from_number=PHONE, body="START").replayed


def test_shop_redact_erases_the_inbound_texts_answering_the_store(deliver, history, shopify_store):
    # given: someone who was never a customer answered the store's text
    InboundMessage.objects.create(message_sid="SM" + "5" * 32, from_number="+12125550177", body="who is this?",
                                  store=shopify_store, received_at=timezone.now())
    deliver({"id": 954889, "domain": "shop.example.com", "myshopify_domain": "demo-store.myshopify.com"},
            topic="app/uninstalled")

    # when
    deliver({"shop_id": 954889, "shop_domain": "demo-store.myshopify.com"}, topic="shop/redact")

    # then
    assert set(InboundMessage.objects.values_list("from_number", "body")) == {("", ERASED)}
