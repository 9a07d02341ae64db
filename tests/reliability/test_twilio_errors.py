"""Twilio's API failing (500, 503, 429): the text is retried with backoff and the cart stays workable.

The product calls Twilio's REST API for texts (Messages); calls are placed by the browser's Voice SDK and
TwiML, so no REST request can fail on a dial. Here the real `twilio` client talks over HTTP to a local
stand-in that answers with Twilio's documented error bodies (see twilio_stand_in.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from celery.exceptions import Retry

from agents.models import AgentProfile
from agents.services.calls import call_dial, call_take_next, call_wrap_up
from agents.services.completion import call_link_send
from compliance.models import ContactAttempt, DncList
from compliance.services.consent import consent_record
from recovery.messaging import backends
from recovery.models import Cart, CartLineItem, RecoveryMessage
from recovery.services.carts import cart_reroute
from recovery.tasks import MESSAGE_MAX_RETRIES, send_message_step_task
from tests.factories import CartFactory, CustomerFactory
from tests.reliability.twilio_stand_in import TwilioStandIn

pytestmark = pytest.mark.django_db
ACCOUNT = "AC" + "0" * 32
# Wednesday 14:00 in New York: the first step (a text, with consent) falls at 15:00.
ABANDONED = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)
PHONE = "+12125550171"


@pytest.fixture(autouse=True)
def national(db):
    return DncList.objects.create(name="national", kind="national", last_full_import_at=ABANDONED)


@pytest.fixture
def twilio(settings):
    """Texts go through the real Twilio backend to a stand-in; call `twilio(script)` to start it."""
    started = []

    def start(script: list[int]) -> TwilioStandIn:
        stand_in = TwilioStandIn(script).__enter__()
        started.append(stand_in)
        settings.SMS_BACKEND = "tests.reliability.twilio_stand_in.StandInTwilioSmsBackend"
        settings.TWILIO_STAND_IN_URL = stand_in.url
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, "token"
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = "+18005550199", ""
        return stand_in

    yield start
    for stand_in in started:
        stand_in.__exit__(None, None, None)


def customer_with_sms_consent(store, **fields):
    customer = CustomerFactory(store=store, first_name="Jane", email="jane@example.com", phone=PHONE, region="NY",
                               accepts_sms_marketing=True, **fields)
    consent_record(store=store, channel="sms", granted=True, source="shopify_checkout", phone=PHONE,
                   customer=customer, at=ABANDONED - timedelta(minutes=5))
    return customer


def automated_cart(store) -> Cart:
    cart = CartFactory(store=store, customer=customer_with_sms_consent(store), total_value=Decimal("42.00"),
                       abandoned_at=ABANDONED, platform_created_at=ABANDONED - timedelta(minutes=10),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover?key=k")
    CartLineItem.objects.create(cart=cart, title="Canvas tote", quantity=1, unit_price=Decimal("42.00"))
    cart_reroute(cart_id=cart.pk, now=ABANDONED + timedelta(minutes=10))
    return Cart.objects.get(pk=cart.pk)


def run_step_with_retries(cart: Cart, *, first_try: datetime) -> tuple[list[int], object]:
    """Run the step's task as a worker would: each retry at the time its countdown names.

    Returns the countdowns the task asked for and its final result.
    """
    countdowns, at = [], first_try
    for retries in range(MESSAGE_MAX_RETRIES + 1):
        with time_machine.travel(at, tick=False):
            try:
                return countdowns, send_message_step_task.apply(args=[cart.pk, 1], retries=retries).get()
            except Retry as retry:
                countdowns.append(int(retry.when))
                at += timedelta(seconds=retry.when)
                message = RecoveryMessage.objects.get(cart=cart, step=1)
                assert message.status == RecoveryMessage.Status.FAILED  # a retry will try it again
                assert Cart.objects.get(pk=cart.pk).status == Cart.Status.OPEN
    raise AssertionError("the task kept asking to be retried past its limit")


def test_twilio_errors_are_retried_with_exponential_backoff_and_the_text_goes_once(shopify_store, twilio):
    # given Twilio failing three times (503, 500, then throttling) before taking the message
    api = twilio([503, 500, 429, 201])
    cart = automated_cart(shopify_store)

    # when the step runs, and runs again at each retry's time
    countdowns, result = run_step_with_retries(cart, first_try=ABANDONED + timedelta(hours=1))

    # then it was retried three times, each wait twice the one before, and sent on the fourth try
    assert countdowns == [60, 120, 240]
    assert result == RecoveryMessage.Status.SENT
    assert len(api.requests) == 4
    assert {request["path"] for request in api.requests} == {f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"}
    assert {request["form"]["To"] for request in api.requests} == {PHONE}
    message = RecoveryMessage.objects.get(cart=cart, step=1)
    assert (message.status, message.channel, message.tries) == ("sent", "sms", 4)
    assert message.provider_id == f"SM{4:032x}"
    # each failed try is recorded as an attempt that was not sent, with Twilio's answer
    attempts = list(ContactAttempt.objects.filter(cart=cart).order_by("pk"))
    assert [(a.channel, a.outcome) for a in attempts] == [("sms", "not_sent")] * 3 + [("sms", "sent")]
    assert [a.provider_error for a in attempts[:3]] == [
        f"Twilio answered {status}: Unable to create record: {message}"
        for status, message in ((503, "Service Unavailable"), (500, "Internal Server Error"),
                                (429, "Too Many Requests"))]
    # and the cart is still open, its sequence moving on to the next step
    cart.refresh_from_db()
    assert (cart.status, cart.next_message_step) == (Cart.Status.OPEN, 2)


def test_a_long_twilio_outage_gives_up_on_the_step_but_not_on_the_cart(shopify_store, twilio):
    api = twilio([503])
    cart = automated_cart(shopify_store)

    countdowns, result = run_step_with_retries(cart, first_try=ABANDONED + timedelta(hours=1))

    assert countdowns == [60, 120, 240, 480, 960, 1920]
    assert result == "failed"
    # every try reached Twilio: the failed ones did not count towards the gate's caps
    assert len(api.requests) == MESSAGE_MAX_RETRIES + 1
    assert set(ContactAttempt.objects.filter(cart=cart).values_list("outcome", flat=True)) == {"not_sent"}
    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN
    assert cart.next_message_step == 2 and cart.next_message_at is not None


@pytest.fixture
def agent(agent_user):
    AgentProfile.objects.create(user=agent_user)
    return agent_user


def test_a_checkout_link_text_twilio_refuses_is_not_sent_and_the_cart_goes_back_to_the_queue(
        shopify_store, twilio, agent):
    # given an agent on a call with a call-first cart, and Twilio down for the first try
    now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
    api = twilio([503, 201])
    cart = CartFactory(store=shopify_store, customer=customer_with_sms_consent(shopify_store), route="call_first",
                       priority_score=88, total_value=Decimal("640.00"), abandoned_at=now - timedelta(minutes=4),
                       platform_created_at=now - timedelta(minutes=20),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover")
    with time_machine.travel(now, tick=False):
        call = call_take_next(agent)
        assert call.cart_id == cart.pk and call_dial(call, agent=agent).allowed

        # when the agent texts the checkout link while Twilio answers 503, then tries again
        failed = call_link_send(call, agent=agent, channel="sms")
        sent = call_link_send(call, agent=agent, channel="sms")

        # then the first is reported and recorded as not sent, the second went
        assert failed.sent is False
        assert failed.error == "Twilio answered 503: Unable to create record: Service Unavailable"
        assert sent.sent is True
        assert len(api.requests) == 2
        texts = ContactAttempt.objects.filter(cart=cart, channel="sms").order_by("pk")
        assert [(a.outcome, a.provider_status) for a in texts] == [("not_sent", "failed"), ("link_sent", "sent")]

        # and after the wrap-up the cart is open and back in the queue, held by nobody
        call_wrap_up(call, agent=agent, disposition="link_sent")
    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN
    assert (cart.reserved_by, cart.reserved_until) == (None, None)


@pytest.fixture
def no_sms_provider(settings):
    """Production without Twilio credentials and without SMS_BACKEND=local."""
    settings.SMS_BACKEND = "recovery.messaging.backends.UnconfiguredSmsBackend"
    backends.outbox.clear()


def test_without_an_sms_provider_a_step_is_recorded_not_sent_and_not_retried(shopify_store, no_sms_provider):
    cart = automated_cart(shopify_store)

    with time_machine.travel(ABANDONED + timedelta(hours=1), tick=False):
        result = send_message_step_task.apply(args=[cart.pk, 1]).get()

    assert result == RecoveryMessage.Status.FAILED  # returned, not raised: no retry can send it
    message = RecoveryMessage.objects.get(cart=cart, step=1)
    assert message.status == RecoveryMessage.Status.FAILED and message.sent_at is None
    assert "no SMS provider is configured" in message.detail and "TWILIO_ACCOUNT_SID" in message.detail
    attempt = ContactAttempt.objects.get(cart=cart)
    assert (attempt.outcome, attempt.provider_status) == ("not_sent", "failed")
    assert backends.outbox == []


def test_without_an_sms_provider_a_checkout_link_text_is_refused_with_the_reason(
        shopify_store, no_sms_provider, agent):
    now = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
    cart = CartFactory(store=shopify_store, customer=customer_with_sms_consent(shopify_store), route="call_first",
                       priority_score=88, total_value=Decimal("640.00"), abandoned_at=now - timedelta(minutes=4),
                       platform_created_at=now - timedelta(minutes=20),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover")
    with time_machine.travel(now, tick=False):
        call = call_take_next(agent)
        assert call.cart_id == cart.pk and call_dial(call, agent=agent).allowed

        result = call_link_send(call, agent=agent, channel="sms")

    assert result.sent is False and result.error.startswith("Texts cannot be sent: no SMS provider is configured")
    text = ContactAttempt.objects.get(cart=cart, channel="sms")
    assert (text.outcome, text.provider_status) == ("not_sent", "failed")
    assert backends.outbox == []
