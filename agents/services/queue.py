"""The work queue: the system hands each agent the best cart it may call now.

Agents never pick whom to call. `next_cart` returns the agent's current cart if it
still holds one, else reserves the highest-scored call-first cart in the agent's stores
that nobody else holds and asks the compliance gate whether it may be called now; a
cart the gate refuses is given back and parked, and the next one taken. The reservation
is one `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)`, so two agents asking
at the same moment never receive the same cart; it is a lease that lapses when the agent
goes quiet, returning the cart to the queue. The statements on this path are in
`queue_sql`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from agents.models import AgentProfile, Callback
from agents.services import queue_sql
from compliance.selectors import ContactFacts
from compliance.services import check_contact
from core.exceptions import ApplicationError
from recovery.models import Cart
from recovery.services.queue_sql import cart_reservation_release, cart_reserve, carts_call_release_due
from recovery.services.work_queue import cart_calls_end, cart_calls_hold, cart_park
from recovery.services.work_queue import cart_pass as recovery_cart_pass
from recovery.services.work_queue import cart_release as recovery_cart_release

LEASE = timedelta(minutes=10)
# Carts the gate may refuse in one request before the agent is told there is nothing to call: each refused
# cart is parked, so the next request starts past them.
SCREEN_LIMIT = 20
# A callback its agent has not picked up this long after it fell due goes to anyone on the team.
CALLBACK_GRACE = timedelta(minutes=5)
# A cart the gate refuses for a reason time does not name (a stale list, missing consent) is looked at again
# after this, rather than on every agent's next request.
RECHECK_AFTER = timedelta(minutes=15)
NOT_CALLABLE = ("dnc_", "opted_out_all", "opted_out_voice", "invalid_")
# A cart an agent passed is not handed back to that agent for this long (others may take it at once).
PASS_COOLDOWN = timedelta(hours=2)


def _reserve(cart: Cart, agent, now: datetime) -> Cart:
    cart.reserved_by, cart.reserved_until = agent, now + LEASE
    cart_reserve(cart_id=cart.pk, agent_id=agent.pk, until=cart.reserved_until, now=now)
    return cart


def _screen(cart: Cart, now: datetime, facts: ContactFacts | None = None):
    """The gate's answer for calling this cart now (not audited: nobody is called yet); `facts`: what the pop
    read for the gate with the cart, if it did."""
    customer = cart.customer
    if customer is None:  # the queue and callbacks hold only carts whose customer has a phone
        raise ValueError(f"Cart {cart.pk} has no customer to call.")
    # The stored E.164 form: str() would validate the number first, which the gate does anyway.
    return check_contact(channel="voice", store=cart.store, phone=customer.phone.as_e164,
                         customer=customer, cart=cart, at=now, audit=False, facts=facts)


def _allowed_now(cart: Cart, now: datetime) -> bool:
    return _screen(cart, now).allowed


def _park(cart: Cart, decision, now: datetime) -> None:
    """Take a cart the gate refused out of the queue's head: until the time the gate names; for good (to the
    automated sequence) when it can't be called at all; else for a while. Every agent would otherwise screen
    it again on every request, and enough of them would hide the workable carts behind."""
    if any(reason.startswith(NOT_CALLABLE) for reason in decision.reasons) or "cart_attempt_limit" in decision.reasons:
        cart_calls_end(cart=cart, reason="; ".join(decision.explanations), at=now)
        return
    cart_park(cart=cart, until=decision.next_allowed_at or now + RECHECK_AFTER)


def _first_callable(agent, facts: queue_sql.AgentFacts, cart: Cart | None, now: datetime,
                    call_facts: ContactFacts | None = None) -> Cart | None:
    """Keep the reserved cart if the gate allows calling it now, else park it and reserve the next, for at
    most SCREEN_LIMIT carts: the next request starts past the parked ones. `call_facts`: the gate's facts for
    the first cart, read by its pop."""
    for screened in range(1, SCREEN_LIMIT + 1):
        if cart is None:
            return None
        try:
            decision = _screen(cart, now, call_facts)
            call_facts = None  # the next carts are popped alone
            if decision.allowed:
                cart.reserved_by = agent
                return cart
            _park(cart, decision, now)
        except BaseException:
            cart_reservation_release(cart_id=cart.pk, agent_id=agent.pk)
            raise
        if screened < SCREEN_LIMIT:
            cart = queue_sql.best_candidate_reserve(facts, agent_id=agent.pk, until=now + LEASE, now=now)
    return None


def call_retries_release(*, now: datetime | None = None) -> int:
    """Put back in the ready queue every cart whose next planned call (or the time the gate named) has come.

    Beat runs it every 30 seconds: the queue itself then only ever reads ready carts in score order, which
    stays one index step however many carts wait for a later call.
    """
    return carts_call_release_due(now or timezone.now())


def _due_callback(agent, now: datetime) -> Callback | None:
    """The agent's own due callback first; else one whose agent is off or late past the grace period."""
    unavailable = AgentProfile.objects.filter(is_available=False).values("user")
    due = (
        Callback.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("cart__store", "cart__customer")
        .filter(status=Callback.Status.SCHEDULED, due_at__lte=now, cart__status=Cart.Status.OPEN)
        .filter(Q(cart__reserved_until__isnull=True) | Q(cart__reserved_until__lte=now) | Q(cart__reserved_by=agent))
        .filter(Q(agent=agent) | Q(agent__in=unavailable) | Q(due_at__lte=now - CALLBACK_GRACE))
        .annotate(own=Case(When(agent=agent, then=Value(0)), default=Value(1)))
        .order_by("own", "due_at")
    )
    for callback in due[:5]:
        if _allowed_now(callback.cart, now):
            return callback
    return None


class WrapUpRequired(ApplicationError):
    message = "Log the outcome of your last call before taking the next cart."


class HourlyLimitReached(ApplicationError):
    message = "You have reached your limit of calls for this hour; take a break, the queue will wait."


def _check_guardrails(facts: queue_sql.AgentFacts) -> None:
    """Wrap-up before the next cart, and the agent's hourly limit if one is set."""
    if facts.unfinished_attempt:
        raise WrapUpRequired()
    if facts.hourly_limit_reached:
        raise HourlyLimitReached()


def next_cart(agent, *, now: datetime | None = None) -> Cart | None:
    """The cart this agent should call now (its lease renewed), or None when nothing may be called.

    Order: the cart the agent already holds; a callback that is due (its own first); the best new cart.
    Raises WrapUpRequired or HourlyLimitReached when the agent must not take a new cart yet.
    Each statement is atomic on its own, so outside a transaction no row stays locked between them; the
    usual request is one: the agent's facts with the best cart reserved and the gate's facts for calling it.
    """
    now = now or timezone.now()
    facts, cart, call_facts = queue_sql.agent_facts_with_pop(agent_id=agent.pk, until=now + LEASE, now=now)
    if facts.held_cart_id is not None:
        held = queue_sql.held_cart_renew(agent_id=agent.pk, until=now + LEASE, now=now)
        if held is not None:
            held.reserved_by = agent
            return held
    _check_guardrails(facts)
    if facts.callbacks_due:
        with transaction.atomic():
            callback = _due_callback(agent, now)
            if callback is not None:
                callback.status, callback.handed_to = Callback.Status.HANDED_OUT, agent
                callback.save(update_fields=["status", "handed_to"])
                return _reserve(callback.cart, agent, now)
    if not facts.may_take_new_cart:  # the first statement left the queue alone: pop now
        cart = queue_sql.best_candidate_reserve(facts, agent_id=agent.pk, until=now + LEASE, now=now)
    return _first_callable(agent, facts, cart, now, call_facts)


@transaction.atomic
def callback_schedule(*, cart: Cart, agent, local_time: datetime, customer_timezone: str) -> Callback:
    """Book a callback at a wall-clock time in the customer's zone (as the customer said it), and hold the cart's
    automatic retries off until after it (recovery's `cart_calls_hold`): the customer named a time, and a retry
    before it would call them against their word.

    A time the clocks skip (spring forward) or repeat (fall back) is refused rather than guessed, and so is a zone
    the time zone database does not know (the form sends what the agent typed).
    """
    if customer_timezone not in _known_zones():
        raise ValidationError(f"Unknown time zone {customer_timezone[:60]!r}: give the customer's zone as the time "
                              "zone database names it, such as America/Chicago or Europe/London.",
                              code="customer_timezone")
    zone = ZoneInfo(customer_timezone)
    if local_time.tzinfo is not None:
        raise ValidationError("Give the callback time as the customer said it, without a time zone.", code="local_time")
    due_at = local_time.replace(tzinfo=zone)
    round_trip = due_at.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    other_fold = local_time.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if round_trip != local_time or other_fold != due_at.astimezone(UTC):
        raise ValidationError(f"{local_time:%Y-%m-%d %H:%M} does not exist or happens twice in {customer_timezone}; "
                              "agree another time with the customer.", code="local_time")
    if due_at <= timezone.now():
        raise ValidationError("A callback must be in the future.", code="local_time")
    callback = Callback(cart=cart, agent=agent, due_at=due_at.astimezone(UTC), customer_timezone=customer_timezone,
                        local_time=f"{local_time:%Y-%m-%d %H:%M}")
    callback.full_clean()
    callback.save()
    cart_calls_hold(cart_id=cart.pk, until=callback.due_at)
    return callback


@cache
def _known_zones() -> frozenset[str]:
    """The zones of the installed time zone database (read from disk once per process)."""
    return frozenset(available_timezones())


@transaction.atomic
def cart_release(*, agent, cart_id: int) -> bool:
    """Give a cart back to the queue (call done, or the agent passes); True if the agent held it."""
    return recovery_cart_release(cart_id=cart_id, agent_id=agent.pk)


@transaction.atomic
def cart_pass(*, agent, cart_id: int, now: datetime) -> bool:
    """Give back a cart the agent passed: not handed to this agent again for PASS_COOLDOWN."""
    return recovery_cart_pass(cart_id=cart_id, agent_id=agent.pk, until=now + PASS_COOLDOWN)
