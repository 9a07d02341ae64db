"""The automated sequence: 1 hour, 24 hours, 3 days; at most one text; through the gate; at most once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail

from compliance.models import ContactAttempt, ContactDecision, DncList, OptOut
from compliance.services.consent import consent_record
from compliance.services.optouts import optout_record
from recovery.messaging import backends
from recovery.messaging.backends import PermanentSendError, SentMessage, TransientSendError
from recovery.models import Cart, CartLineItem, MessageTemplate, RecoveryMessage
from recovery.services.carts import cart_reroute
from recovery.services.sequence import interrupted_sends_flag, message_step_send
from recovery.tasks import send_due_messages_task, send_message_step_task
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db
# Wednesday 14:00 in New York: the first step falls at 15:00, the reminder at 14:00 Thursday.
ABANDONED = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_outboxes():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture(autouse=True)
def national(db):
    return DncList.objects.create(name="national", kind="national", last_full_import_at=ABANDONED)


def automated_cart(store, *, abandoned=ABANDONED, sms_consent=False, email="jane@example.com") -> Cart:
    customer = CustomerFactory(store=store, first_name="Jane", email=email, phone="+12125550171", region="NY",
                               accepts_sms_marketing=sms_consent)
    if sms_consent:
        consent_record(store=store, channel="sms", granted=True, source="shopify_checkout",
                       phone="+12125550171", customer=customer, at=abandoned - timedelta(minutes=5))
    cart = CartFactory(store=store, customer=customer, total_value=Decimal("42.00"), abandoned_at=abandoned,
                       platform_created_at=abandoned - timedelta(minutes=10),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover?key=k")
    CartLineItem.objects.create(cart=cart, title="Canvas tote", quantity=1, unit_price=Decimal("42.00"))
    cart_reroute(cart_id=cart.pk, now=abandoned + timedelta(minutes=10))
    cart.refresh_from_db()
    return cart


def sweep(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        send_due_messages_task.apply()


def test_a_low_value_cart_starts_the_sequence_an_hour_after_abandonment(shopify_store):
    cart = automated_cart(shopify_store)
    assert cart.route == Cart.Route.AUTOMATED_FIRST
    assert (cart.next_message_step, cart.next_message_at) == (1, ABANDONED + timedelta(hours=1))


def test_emails_go_at_one_hour_a_day_and_three_days_and_then_stop(shopify_store):
    cart = automated_cart(shopify_store)

    sweep(ABANDONED + timedelta(minutes=59))
    assert mail.outbox == []
    sweep(ABANDONED + timedelta(hours=1))
    assert len(mail.outbox) == 1
    sweep(ABANDONED + timedelta(hours=23, minutes=59))
    assert len(mail.outbox) == 1
    sweep(ABANDONED + timedelta(hours=24))
    assert len(mail.outbox) == 2
    sweep(ABANDONED + timedelta(hours=71))
    assert len(mail.outbox) == 2
    sweep(ABANDONED + timedelta(hours=72))
    sweep(ABANDONED + timedelta(days=10))
    assert len(mail.outbox) == 3

    subjects = [message.subject for message in mail.outbox]
    assert subjects == ["Jane, your cart at Demo Store is saved", "Still thinking it over?",
                        "Last reminder about your cart at Demo Store"]
    first = mail.outbox[0]
    assert first.to == ["jane@example.com"] and first.from_email == "Demo Store <recovery@localhost>"
    assert cart.checkout_url in first.body and "Canvas tote" in first.body and "$42" in first.body
    assert "/unsubscribe/" in first.body and first.extra_headers["List-Unsubscribe"].startswith("<http")
    messages = RecoveryMessage.objects.filter(cart=cart).order_by("step")
    assert [(m.step, m.channel, m.status) for m in messages] == [(1, "email", "sent"), (2, "email", "sent"),
                                                                 (3, "email", "sent")]
    attempts = ContactAttempt.objects.filter(cart=cart).order_by("at")
    assert [(a.channel, a.outcome) for a in attempts] == [("email", "sent")] * 3
    assert all(a.decision.allowed for a in attempts)
    cart.refresh_from_db()
    assert (cart.next_message_step, cart.next_message_at) == (0, None)


def test_one_text_within_48_hours_with_consent_and_every_other_step_by_email(shopify_store):
    cart = automated_cart(shopify_store, sms_consent=True)

    sweep(ABANDONED + timedelta(hours=1))
    sweep(ABANDONED + timedelta(hours=24))
    sweep(ABANDONED + timedelta(hours=72))

    assert len(backends.outbox) == 1
    text = backends.outbox[0]
    assert text.to == "+12125550171" and cart.checkout_url in text.body and text.body.endswith(
        "Reply STOP to stop texts. For help, reply to this message or email us.")
    assert len(mail.outbox) == 2
    channels = list(RecoveryMessage.objects.filter(cart=cart).order_by("step").values_list("channel", flat=True))
    assert channels == ["sms", "email", "email"]


def test_a_text_outside_quiet_hours_falls_back_to_email_and_the_text_goes_at_a_later_step(shopify_store):
    # Abandoned 20:30 in New York: the first step (21:30) is too late for a text, the reminder is not.
    abandoned = datetime(2026, 11, 19, 1, 30, tzinfo=UTC)
    cart = automated_cart(shopify_store, abandoned=abandoned, sms_consent=True)

    sweep(abandoned + timedelta(hours=1))
    sweep(abandoned + timedelta(hours=24))

    channels = list(RecoveryMessage.objects.filter(cart=cart).order_by("step").values_list("channel", flat=True))
    assert channels == ["email", "sms"]
    denied = ContactDecision.objects.get(channel="sms", allowed=False)
    assert "outside_calling_hours" in denied.reasons


def test_no_text_after_48_hours(shopify_store):
    abandoned = datetime(2026, 11, 19, 3, 0, tzinfo=UTC)  # 22:00 in New York: steps 1 and 2 at night
    cart = automated_cart(shopify_store, abandoned=abandoned, sms_consent=True)

    for hours in (1, 24, 72):
        sweep(abandoned + timedelta(hours=hours))

    assert backends.outbox == []
    assert list(RecoveryMessage.objects.filter(cart=cart).values_list("channel", flat=True)) == ["email"] * 3


def test_no_text_without_consent_even_when_the_number_is_known(shopify_store):
    automated_cart(shopify_store, sms_consent=False)
    sweep(ABANDONED + timedelta(hours=1))
    assert backends.outbox == [] and len(mail.outbox) == 1


def test_a_step_retried_twice_sends_once(shopify_store):
    cart = automated_cart(shopify_store)
    with time_machine.travel(ABANDONED + timedelta(hours=1), tick=False):
        for _ in range(3):
            send_message_step_task.apply(args=[cart.pk, 1])
        send_due_messages_task.apply()

    assert len(mail.outbox) == 1
    assert ContactAttempt.objects.filter(cart=cart).count() == 1
    assert RecoveryMessage.objects.get(cart=cart, step=1).tries == 1


def test_a_redelivered_task_after_a_crash_mid_send_does_not_send_again(shopify_store):
    """The claim commits before the provider is called: a redelivery finds it and sends nothing."""
    cart = automated_cart(shopify_store)
    at = ABANDONED + timedelta(hours=1)
    RecoveryMessage.objects.create(cart=cart, step=1, channel="email", status="sending", tries=1)

    assert message_step_send(cart_id=cart.pk, step=1, now=at).status == "sending"
    assert mail.outbox == []


def test_a_provider_outage_is_retried_and_the_step_still_sends_once(shopify_store, monkeypatch):
    cart = automated_cart(shopify_store, sms_consent=True)
    calls = []

    def flaky_send(self, *, to, body, status_callback=None):
        calls.append(to)
        if len(calls) == 1:
            raise TransientSendError("Twilio answered 503")
        return SentMessage(sid="SM" + "1" * 32, status="queued", to=to, body=body)

    monkeypatch.setattr(backends.LocalSmsBackend, "send", flaky_send)
    with time_machine.travel(ABANDONED + timedelta(hours=1), tick=False):
        with pytest.raises(Retry):  # the task asks Celery to try again later
            send_message_step_task.apply(args=[cart.pk, 1])
        assert RecoveryMessage.objects.get(cart=cart, step=1).status == "failed"
        send_message_step_task.apply(args=[cart.pk, 1], retries=1)  # the retry, as the worker runs it
        send_message_step_task.apply(args=[cart.pk, 1], retries=2)  # and a duplicate of it

    message = RecoveryMessage.objects.get(cart=cart, step=1)
    assert (message.status, message.tries, message.provider_id) == ("sent", 2, "SM" + "1" * 32)
    assert len(calls) == 2
    attempts = ContactAttempt.objects.filter(cart=cart).order_by("pk")
    assert [(a.outcome, a.provider_status) for a in attempts] == [("not_sent", "failed"), ("sent", "sent")]


def test_a_recipient_who_texted_stop_to_the_carrier_is_recorded_as_opted_out(shopify_store, monkeypatch):
    cart = automated_cart(shopify_store, sms_consent=True)

    def refused(self, *, to, body, status_callback=None):
        raise PermanentSendError("Twilio refused the message (21610): Attempt to send to unsubscribed recipient",
                                 code=21610)

    monkeypatch.setattr(backends.LocalSmsBackend, "send", refused)
    sweep(ABANDONED + timedelta(hours=1))

    message = RecoveryMessage.objects.get(cart=cart, step=1)
    assert message.status == "undeliverable" and "21610" in message.detail
    assert OptOut.objects.filter(phone="+12125550171", scope="sms").exists()


def test_the_sequence_stops_when_the_cart_is_recovered(shopify_store):
    cart = automated_cart(shopify_store)
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.RECOVERED)
    sweep(ABANDONED + timedelta(hours=1))
    with time_machine.travel(ABANDONED + timedelta(hours=1), tick=False):
        send_message_step_task.apply(args=[cart.pk, 1])  # a task queued before the order came in
    assert mail.outbox == [] and not RecoveryMessage.objects.exists()


def test_the_sequence_stops_when_the_customer_opts_out(shopify_store):
    cart = automated_cart(shopify_store)
    optout_record(email="jane@example.com", scope="all", source=OptOut.Source.EMAIL_LINK,
                  at=ABANDONED + timedelta(minutes=30))
    sweep(ABANDONED + timedelta(hours=1))
    sweep(ABANDONED + timedelta(hours=24))

    assert mail.outbox == []
    message = RecoveryMessage.objects.get(cart=cart)
    assert message.status == "denied" and "Opted out of all contact" in message.detail
    cart.refresh_from_db()
    assert (cart.next_message_step, cart.next_message_at) == (0, None)
    assert ContactDecision.objects.filter(email="jane@example.com", allowed=False).count() == 1


def test_no_message_while_an_agent_holds_the_cart(shopify_store):
    cart = automated_cart(shopify_store)
    at = ABANDONED + timedelta(hours=1)
    Cart.objects.filter(pk=cart.pk).update(reserved_until=at + timedelta(minutes=7))
    sweep(at)
    assert mail.outbox == []
    cart.refresh_from_db()
    assert cart.next_message_at == at + timedelta(minutes=7)


def test_a_customer_nobody_can_message_is_skipped_and_the_sequence_ends(shopify_store):
    cart = automated_cart(shopify_store, email="")
    sweep(ABANDONED + timedelta(hours=1))
    assert RecoveryMessage.objects.get(cart=cart).status == "skipped"
    cart.refresh_from_db()
    assert cart.next_message_at is None


def test_the_stores_own_wording_is_used_and_keeps_the_unsubscribe_link(shopify_store):
    MessageTemplate.objects.create(store=shopify_store, step=1, channel="email", subject="{{ first_name }}, psst",
                                   body="Your {{ items_text }} are waiting: {{ checkout_url }}")
    cart = automated_cart(shopify_store)
    sweep(ABANDONED + timedelta(hours=1))

    (email,) = mail.outbox
    assert email.subject == "Jane, psst"
    assert email.body.startswith(f"Your Canvas tote are waiting: {cart.checkout_url}")
    assert "Unsubscribe: http" in email.body


def test_a_step_whose_worker_died_mid_send_is_flagged_interrupted_and_never_sent_again(shopify_store):
    """The claim committed, then the worker vanished before the provider answered: whether the message went out
    is unknown, so it is not sent again, and after 15 minutes it says so instead of "sending" forever."""
    cart = automated_cart(shopify_store, sms_consent=True)
    due = ABANDONED + timedelta(hours=1, minutes=1)
    killed = mock.patch("recovery.services.sequence.deliver", side_effect=SystemExit("the worker is killed"))
    with time_machine.travel(due, tick=False), pytest.raises(SystemExit), killed:
        message_step_send(cart_id=cart.pk, step=1)
    message = RecoveryMessage.objects.get(cart=cart, step=1)
    assert message.status == RecoveryMessage.Status.SENDING and message.claimed_at == due

    assert interrupted_sends_flag(now=due + timedelta(minutes=14)) == 0  # a slow provider is not a dead worker
    assert interrupted_sends_flag(now=due + timedelta(minutes=16)) == 1
    message.refresh_from_db()
    assert message.status == RecoveryMessage.Status.INTERRUPTED and "not sent again" in message.detail
    assert interrupted_sends_flag(now=due + timedelta(minutes=30)) == 0  # once

    # the redelivered task sends nothing, and the text still counts: the reminder goes by email
    with time_machine.travel(due + timedelta(minutes=20), tick=False):
        send_message_step_task.apply(args=[cart.pk, 1])
    assert backends.outbox == []
    sweep(ABANDONED + timedelta(hours=24, minutes=1))
    assert [m.channel for m in RecoveryMessage.objects.filter(cart=cart).order_by("step")] == ["sms", "email"]
    assert ContactAttempt.objects.filter(cart=cart).count() == 2
