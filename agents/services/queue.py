"""The work queue: the system hands each agent the best cart it may call now.

Agents never pick whom to call. `next_cart` returns the agent's current cart if it
still holds one, else reserves the highest-scored call-first cart that the compliance
gate allows calling now, in the agent's stores, that nobody else holds. Candidates are
read with `SELECT ... FOR UPDATE SKIP LOCKED`, so two agents asking at the same moment
never receive the same cart; the reservation is a lease that lapses when the agent
goes quiet, returning the cart to the queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from agents.models import AgentProfile, Callback
from compliance.services import check_contact
from config.exceptions import ApplicationError
from recovery.models import Cart

LEASE = timedelta(minutes=10)
CANDIDATE_BATCH = 5
SCREEN_ROUNDS = 4
# A callback its agent has not picked up this long after it fell due goes to anyone on the team.
CALLBACK_GRACE = timedelta(minutes=5)
# A cart the gate refuses for a reason time does not name (a stale list, missing consent) is looked at again
# after this, rather than on every agent's next request.
RECHECK_AFTER = timedelta(minutes=15)
NOT_CALLABLE = ("dnc_", "opted_out_all", "opted_out_voice", "invalid_")


def _held_cart(agent, now: datetime) -> Cart | None:
    return (
        Cart.objects.select_for_update(of=("self",))
        .select_related("store", "customer")
        .filter(reserved_by=agent, reserved_until__gt=now, status=Cart.Status.OPEN)
        .order_by("reserved_until")
        .first()
    )


def _workable(profile: AgentProfile | None, stores: list, now: datetime):
    carts = Cart.objects.filter(status=Cart.Status.OPEN, route=Cart.Route.CALL_FIRST, calls_ended_at__isnull=True)
    carts = carts.exclude(customer__phone="").filter(Q(reserved_until__isnull=True) | Q(reserved_until__lte=now))
    if stores:
        carts = carts.filter(store__in=stores)
    if profile is not None and profile.spoken_languages:
        carts = carts.filter(Q(customer__language="") | Q(customer__language__in=profile.spoken_languages))
    return carts.select_related("store", "customer").order_by("-priority_score", "pk")


def _candidates(profile: AgentProfile | None, now: datetime, stores: list | None = None):
    """Carts never called yet, best first (index `cart_call_queue_new`: a called cart leaves it)."""
    stores = list(profile.stores.all()) if stores is None and profile is not None else stores or []
    return (_workable(profile, stores, now).filter(next_call_at__isnull=True)
            .select_for_update(of=("self",), skip_locked=True)[:CANDIDATE_BATCH])


def _due_retries(profile: AgentProfile | None, now: datetime, stores: list):
    """Carts whose next planned call has come (index `cart_call_queue_due`), best first."""
    return (_workable(profile, stores, now).filter(next_call_at__lte=now)
            .select_for_update(of=("self",), skip_locked=True)[:CANDIDATE_BATCH])


def _reserve(cart: Cart, agent, now: datetime) -> Cart:
    cart.reserved_by, cart.reserved_until = agent, now + LEASE
    cart.save(update_fields=["reserved_by", "reserved_until", "updated_at"])
    return cart


def _screen(cart: Cart, now: datetime):
    """The gate's answer for calling this cart now (not audited: nobody is called yet)."""
    return check_contact(channel="voice", store=cart.store, phone=str(cart.customer.phone),
                         customer=cart.customer, cart=cart, at=now, audit=False)


def _allowed_now(cart: Cart, now: datetime) -> bool:
    return _screen(cart, now).allowed


def _park(cart: Cart, decision, now: datetime) -> None:
    """Take a cart the gate refused out of the queue's head: until the time the gate names; for good (to the
    automated sequence) when it can't be called at all; else for a while. Every agent would otherwise screen
    it again on every request, and enough of them would hide the workable carts behind."""
    if any(reason.startswith(NOT_CALLABLE) for reason in decision.reasons) or "cart_attempt_limit" in decision.reasons:
        from recovery.services.sequence import sequence_resume

        cart.calls_ended_at, cart.next_call_at, cart.route = now, None, Cart.Route.AUTOMATED_FIRST
        cart.priority_reason = f"Automated first: not callable ({'; '.join(decision.explanations)})"[:500]
        cart.save(update_fields=["calls_ended_at", "next_call_at", "route", "priority_reason", "updated_at"])
        sequence_resume(cart, now=now)
        return
    cart.next_call_at = decision.next_allowed_at or now + RECHECK_AFTER
    cart.save(update_fields=["next_call_at", "updated_at"])


def _best_callable(profile: AgentProfile | None, now: datetime) -> Cart | None:
    stores = list(profile.stores.all()) if profile is not None else []
    for _ in range(SCREEN_ROUNDS):
        batch = sorted([*_candidates(profile, now, stores), *_due_retries(profile, now, stores)],
                       key=lambda cart: (-cart.priority_score, cart.pk))
        if not batch:
            return None
        for cart in batch:
            decision = _screen(cart, now)
            if decision.allowed:
                return cart
            _park(cart, decision, now)
    return None


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


def _check_guardrails(agent, profile: AgentProfile | None, now: datetime) -> None:
    """Wrap-up before the next cart, and the agent's hourly limit if one is set."""
    from compliance.models import ContactAttempt

    attempts = ContactAttempt.objects.filter(agent=agent)
    if attempts.filter(outcome="").exists():
        raise WrapUpRequired()
    limit = profile.max_attempts_per_hour if profile else None
    if limit is not None and attempts.filter(at__gt=now - timedelta(hours=1)).count() >= limit:
        raise HourlyLimitReached()


@transaction.atomic
def next_cart(agent, *, now: datetime | None = None) -> Cart | None:
    """The cart this agent should call now (its lease renewed), or None when nothing may be called.

    Order: the cart the agent already holds; a callback that is due (its own first); the best new cart.
    Raises WrapUpRequired or HourlyLimitReached when the agent must not take a new cart yet.
    """
    now = now or timezone.now()
    held = _held_cart(agent, now)
    if held is not None:
        return _reserve(held, agent, now)
    profile = AgentProfile.objects.filter(user=agent).prefetch_related("stores").first()
    _check_guardrails(agent, profile, now)
    callback = _due_callback(agent, now)
    if callback is not None:
        callback.status, callback.handed_to = Callback.Status.HANDED_OUT, agent
        callback.save(update_fields=["status", "handed_to"])
        return _reserve(callback.cart, agent, now)
    cart = _best_callable(profile, now)
    return _reserve(cart, agent, now) if cart is not None else None


def callback_schedule(*, cart: Cart, agent, local_time: datetime, customer_timezone: str) -> Callback:
    """Book a callback at a wall-clock time in the customer's zone (as the customer said it).

    A time the clocks skip (spring forward) or repeat (fall back) is refused rather than guessed.
    """
    zone = ZoneInfo(customer_timezone)
    if local_time.tzinfo is not None:
        raise ValidationError("Give the callback time as the customer said it, without a time zone.")
    due_at = local_time.replace(tzinfo=zone)
    round_trip = due_at.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    other_fold = local_time.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if round_trip != local_time or other_fold != due_at.astimezone(UTC):
        raise ValidationError(f"{local_time:%Y-%m-%d %H:%M} does not exist or happens twice in {customer_timezone}; "
                              "agree another time with the customer.")
    if due_at <= timezone.now():
        raise ValidationError("A callback must be in the future.")
    callback = Callback(cart=cart, agent=agent, due_at=due_at.astimezone(UTC), customer_timezone=customer_timezone,
                        local_time=f"{local_time:%Y-%m-%d %H:%M}")
    callback.full_clean()
    callback.save()
    return callback


@transaction.atomic
def cart_release(*, agent, cart_id: int) -> bool:
    """Give a cart back to the queue (call done, or the agent passes); True if the agent held it."""
    released = Cart.objects.filter(pk=cart_id, reserved_by=agent).update(reserved_by=None, reserved_until=None)
    return bool(released)
