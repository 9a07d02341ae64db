"""The call cadence: retries at planned offsets over 48-72 hours, honoured by the queue, then moving on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from agents.services import call_retries_release, callback_schedule, cart_release, next_cart
from compliance.models import DncList
from compliance.services import contact_attempt_finish
from recovery.models import Cart, PriorityPolicy, RecoveryMessage
from recovery.models.priority import parse_retry_hours
from recovery.services.attempts import MIN_RETRY_GAP
from recovery.services.attempts import cart_contact_attempt_start as contact_attempt_start
from recovery.services.call_cadence import AFTER_LAST_CALL_GRACE, carts_after_calls_close, carts_expire
from recovery.services.priority import cart_prioritize
from tests.factories import CartFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
FIRST_CALL = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def national(db):
    return DncList.objects.create(name="national", kind="national", last_full_import_at=FIRST_CALL)


@pytest.fixture
def cart(shopify_store):
    customer = CustomerFactory(store=shopify_store, phone="+12125550161", region="NY")
    return CartFactory(store=shopify_store, customer=customer, route="call_first", priority_score=80,
                       total_value=Decimal("600.00"), abandoned_at=FIRST_CALL - timedelta(minutes=4),
                       platform_created_at=FIRST_CALL - timedelta(minutes=20))


def call(cart, agent, at):
    decision, attempt = contact_attempt_start(channel="voice", store=cart.store, phone=str(cart.customer.phone),
                                              cart=cart, customer=cart.customer, agent=agent, at=at)
    assert decision.allowed, decision.explanations
    contact_attempt_finish(attempt=attempt, outcome="no_answer")
    cart_release(agent=agent, cart_id=cart.pk)
    cart.refresh_from_db()
    return cart


def test_each_call_schedules_the_next_at_the_planned_offsets_then_the_calls_end(cart):
    agent = UserFactory(username="maya")
    at = FIRST_CALL
    local_hours = []
    for expected_offset in [5, 23, 33, 52]:
        cart = call(cart, agent, at)
        local_hours.append(at.astimezone(NEW_YORK).hour)
        assert cart.next_call_at == FIRST_CALL + timedelta(hours=expected_offset)
        at = cart.next_call_at
    cart = call(cart, agent, at)
    local_hours.append(at.astimezone(NEW_YORK).hour)

    assert cart.call_attempts == 5 and cart.first_attempt_at == FIRST_CALL
    assert cart.next_call_at is None and cart.calls_ended_at == FIRST_CALL + timedelta(hours=52)
    assert len(set(local_hours)) == 5, f"calls at different times of day, got {local_hours}"
    assert 48 <= (cart.calls_ended_at - cart.first_attempt_at).total_seconds() / 3600 <= 72


def test_the_queue_holds_a_cart_until_its_next_planned_call(cart):
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    assert next_cart(maya, now=FIRST_CALL) == cart
    call(cart, maya, FIRST_CALL)

    early = FIRST_CALL + timedelta(hours=4, minutes=59)
    assert call_retries_release(now=early) == 0
    assert next_cart(sam, now=early) is None
    assert call_retries_release(now=FIRST_CALL + timedelta(hours=5)) == 1  # beat, every 30 s
    assert next_cart(sam, now=FIRST_CALL + timedelta(hours=5)) == cart


def test_a_cart_whose_calls_ended_is_not_queued_again(cart):
    Cart.objects.filter(pk=cart.pk).update(calls_ended_at=FIRST_CALL, call_attempts=5)
    assert next_cart(UserFactory(username="maya"), now=FIRST_CALL + timedelta(hours=30)) is None


def test_after_the_last_call_and_a_grace_period_the_cart_moves_to_the_automated_sequence(cart):
    ended = FIRST_CALL + timedelta(hours=52)
    Cart.objects.filter(pk=cart.pk).update(calls_ended_at=ended, call_attempts=5)

    assert carts_after_calls_close(now=ended + AFTER_LAST_CALL_GRACE - timedelta(minutes=1)) == 0
    moved_at = ended + AFTER_LAST_CALL_GRACE
    assert carts_after_calls_close(now=moved_at) == 1

    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN and cart.route == Cart.Route.AUTOMATED_FIRST
    assert (cart.next_message_step, cart.next_message_at) == (1, moved_at + timedelta(hours=1))
    # Re-scoring keeps it where the cadence put it, and says why.
    cart_prioritize(cart_id=cart.pk, now=moved_at + timedelta(minutes=5))
    cart.refresh_from_db()
    assert cart.route == Cart.Route.AUTOMATED_FIRST
    assert "no recovery after 5 calls" in cart.priority_reason


def test_a_store_can_close_carts_as_lost_after_the_last_call(cart):
    PriorityPolicy.objects.create(store=cart.store, after_calls="lost")
    ended = FIRST_CALL + timedelta(hours=52)
    Cart.objects.filter(pk=cart.pk).update(calls_ended_at=ended, call_attempts=5)

    carts_after_calls_close(now=ended + AFTER_LAST_CALL_GRACE)

    cart.refresh_from_db()
    assert cart.status == Cart.Status.LOST
    assert cart.status_reason == "No recovery after 5 calls."
    assert cart.events.filter(kind="status_changed").exists()


def test_the_sequence_resumes_at_the_first_step_not_taken(cart):
    RecoveryMessage.objects.create(cart=cart, step=1, channel="email", status="sent")
    ended = FIRST_CALL + timedelta(hours=52)
    Cart.objects.filter(pk=cart.pk).update(calls_ended_at=ended, call_attempts=5)
    moved_at = ended + AFTER_LAST_CALL_GRACE

    carts_after_calls_close(now=moved_at)

    cart.refresh_from_db()
    assert (cart.next_message_step, cart.next_message_at) == (2, moved_at + timedelta(hours=1))
    assert cart.sequence_anchor_at == moved_at + timedelta(hours=1) - timedelta(hours=24)


def test_open_carts_past_the_stores_limit_close_as_lost_but_not_from_under_an_agent(shopify_store):
    now = FIRST_CALL
    old = CartFactory(store=shopify_store, abandoned_at=now - timedelta(days=8))
    held = CartFactory(store=shopify_store, abandoned_at=now - timedelta(days=8),
                       reserved_until=now + timedelta(minutes=5))
    recent = CartFactory(store=shopify_store, abandoned_at=now - timedelta(days=6))

    assert carts_expire(now=now) == 1

    statuses = dict(Cart.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "lost", held.pk: "open", recent.pk: "open"}
    assert "Not recovered within 7 days" in Cart.objects.get(pk=old.pk).status_reason


def test_a_cart_without_a_phone_number_goes_to_the_automated_sequence(shopify_store):
    customer = CustomerFactory(store=shopify_store, phone="")
    cart = CartFactory(store=shopify_store, customer=customer, total_value=Decimal("900.00"), payment_failed=True)

    priority = cart_prioritize(cart_id=cart.pk)

    assert priority.route == Cart.Route.AUTOMATED_FIRST
    assert priority.reasons == ("no phone number to call",)


def test_an_agents_call_stops_the_automated_sequence(cart):
    Cart.objects.filter(pk=cart.pk).update(sequence_anchor_at=cart.abandoned_at, next_message_step=2,
                                           next_message_at=FIRST_CALL + timedelta(hours=20))
    call(cart, UserFactory(username="maya"), FIRST_CALL)
    assert cart.next_message_at is None


@pytest.mark.parametrize(("text", "error"), [
    ("5", "2 to 4"), ("5, 23, 33, 52, 60", "2 to 4"), ("5, 3, 50", "after the one before"),
    ("5, 23, 40", "48 to 72"), ("5, 80", "48 to 72"), ("five, 50", "numbers"),
])
def test_a_store_cannot_plan_a_cadence_outside_the_rules(text, error):
    with pytest.raises(ValidationError, match=error):
        parse_retry_hours(text)


def test_a_store_may_plan_fewer_calls():
    assert parse_retry_hours("6, 50") == [6.0, 50.0]


def test_a_booked_callback_holds_off_the_automatic_retries_until_after_it(cart):
    # given: the first call at 10:00 in New York plans the next at 15:00 today
    agent = UserFactory(username="maya")
    cart = call(cart, agent, FIRST_CALL)
    assert cart.next_call_at == FIRST_CALL + timedelta(hours=5)

    # when: the customer asks to be called back tomorrow at 11:00 their time
    with time_machine.travel(FIRST_CALL + timedelta(minutes=5), tick=False):
        callback = callback_schedule(cart=cart, agent=agent, local_time=datetime(2026, 11, 19, 11, 0),  # noqa: DTZ001
                                     customer_timezone="America/New_York")

    # then: no automatic call before the callback; the callback itself is the next call
    cart.refresh_from_db()
    assert callback.due_at == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    assert cart.next_call_at == callback.due_at + MIN_RETRY_GAP
    assert call_retries_release(now=FIRST_CALL + timedelta(hours=6)) == 0


def test_a_callback_before_the_next_planned_call_leaves_the_plan_as_it_is(cart):
    agent = UserFactory(username="maya")
    cart = call(cart, agent, FIRST_CALL)
    planned = cart.next_call_at  # 20:00 UTC, 15:00 in New York
    with time_machine.travel(FIRST_CALL + timedelta(minutes=5), tick=False):
        callback_schedule(cart=cart, agent=agent, local_time=datetime(2026, 11, 18, 11, 0),  # noqa: DTZ001
                          customer_timezone="America/New_York")
    cart.refresh_from_db()
    assert cart.next_call_at == planned
