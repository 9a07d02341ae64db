"""Routing and ranking of open carts: the explainable decision tree behind "who is called next".

A cart is routed "call first" when a call is worth it (a payment failed at the last
step, a high order value, a complex product, a valuable customer) and "automated first"
otherwise (a subscription renewal, a repeat buyer, a low-value or impulse cart); an
automated-first cart still open after the store's delay, and worth it, is escalated to a
call. The score combines value, friction, customer history, the speed-to-lead decay,
prior attempts and whether it is calling time where the customer is. Every score comes
with the sentence that explains it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from compliance.selectors_attempts import counted_attempts
from compliance.services import hours
from recovery.models import Cart, PriorityPolicy
from recovery.selectors import policy_for
from recovery.services.money import money

DECAY_FLOOR = 0.3


@dataclass(frozen=True)
class CartPriority:
    route: str
    score: float
    reasons: tuple[str, ...]
    explanation: str


def ago(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size or unit == "minute":
            count = minutes // size
            return "just now" if unit == "minute" and count == 0 else f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _matching(items, keywords: list[str]) -> str:
    for item in items:
        text = f"{item.title} {item.sku}".lower()
        if any(keyword in text for keyword in keywords):
            return item.title
    return ""


def _friction_phrase(cart: Cart) -> str:
    if cart.payment_failed:
        declined = "declin" in cart.error_text.lower() or not cart.error_text
        return "payment declined at checkout" if declined else f"payment failed at checkout ({cart.error_text[:60]})"
    if cart.error_text:
        return f"checkout error ({cart.error_text[:60]})"
    return ""


def cart_route(cart: Cart, *, items: list, policy: PriorityPolicy, now: datetime) -> tuple[str, list[str]]:
    """The branch of the decision tree the cart falls in, with the reasons in words."""
    customer = cart.customer
    friction = _friction_phrase(cart)
    if cart.calls_ended_at and cart.route == Cart.Route.AUTOMATED_FIRST:
        if cart.call_attempts:
            return Cart.Route.AUTOMATED_FIRST, [f"no recovery after {cart.call_attempts} calls"]
        return Cart.Route.AUTOMATED_FIRST, ["the number may not be called"]
    if not customer or not customer.phone:
        return Cart.Route.AUTOMATED_FIRST, ["no phone number to call"]
    if cart.payment_failed:
        return Cart.Route.CALL_FIRST, [friction]
    if _matching(items, ["subscription", "renewal"]):
        return Cart.Route.AUTOMATED_FIRST, ["subscription renewal"]
    call_reasons = []
    if cart.total_value >= policy.call_first_min_value:
        call_reasons.append(f"at least {money(policy.call_first_min_value, cart.currency)}")
    if friction:
        call_reasons.append(friction)
    complex_item = _matching(items, PriorityPolicy.keywords(policy.complex_product_keywords))
    if complex_item:
        call_reasons.append(f"complex product ({complex_item})")
    if customer and customer.lifetime_value and customer.lifetime_value >= policy.high_value_customer_min:
        call_reasons.append(f"customer has spent {money(customer.lifetime_value, cart.currency)}")
    if call_reasons:
        return Cart.Route.CALL_FIRST, call_reasons
    return _automated_route(cart, items=items, policy=policy, now=now)


def _automated_route(cart: Cart, *, items, policy: PriorityPolicy, now: datetime) -> tuple[str, list[str]]:
    customer = cart.customer
    age = now - (cart.abandoned_at or now)
    worth_a_call = cart.total_value >= policy.escalate_min_value
    if cart.status == Cart.Status.OPEN and age >= policy.escalate_after and worth_a_call:
        hours = int(policy.escalate_after.total_seconds() // 3600)
        return Cart.Route.CALL_FIRST, [f"escalated: still open after {hours} hours"]
    if customer and (customer.orders_count or 0) >= 1:
        return Cart.Route.AUTOMATED_FIRST, ["repeat buyer"]
    impulse = PriorityPolicy.keywords(policy.impulse_keywords)
    if items and all(_matching([item], impulse) for item in items):
        return Cart.Route.AUTOMATED_FIRST, ["impulse items"]
    return Cart.Route.AUTOMATED_FIRST, ["low value"]


def _points(cart: Cart, *, items: list, policy: PriorityPolicy) -> float:
    # Square root: a $1,000 cart is worth far more than a $50 one, but not twenty times the call.
    cap = float(policy.value_cap) or 1.0
    value = 40 * math.sqrt(min(1.0, float(cart.total_value) / cap)) * policy.value_weight
    friction = (25 * cart.payment_failed + 10 * bool(cart.error_text) + 5 * cart.reached_payment_step
                + 5 * bool(cart.discount_code_tried)) * policy.friction_weight
    customer = cart.customer
    spent = (customer.lifetime_value if customer else None) or Decimal("0")
    high_value = spent >= policy.high_value_customer_min
    repeat = bool(customer and (customer.orders_count or 0) >= 1)
    history = (15 * high_value + 5 * repeat) * policy.history_weight
    complex_keywords = PriorityPolicy.keywords(policy.complex_product_keywords)
    complex_bonus = 10 if _matching(items, complex_keywords) else 0
    return value + friction + history + complex_bonus


def _calling_time_now(cart: Cart, *, now: datetime) -> bool:
    customer = cart.customer
    if not customer or not customer.phone:
        return False
    locations = hours.recipient_locations(phone=str(customer.phone), country=customer.country, region=customer.region)
    return bool(locations) and hours.calling_hours_check(locations=locations, at=now).allowed


def cart_priority(cart: Cart, *, now: datetime | None = None, attempts: int | None = None) -> CartPriority:
    """Route, score and explanation for a cart at `now` (pure apart from reading the cart's rows)."""
    now = now or timezone.now()
    policy = policy_for(cart.store)
    items = list(cart.line_items.all())  # read once: the route and the points both look at them
    route, reasons = cart_route(cart, items=items, policy=policy, now=now)
    age = now - (cart.abandoned_at or cart.platform_updated_at or now)
    half_life = policy.freshness_half_life.total_seconds() or 1.0
    # Intent falls fast in the first hours; an old cart keeps a floor so its value still counts.
    decay = max(DECAY_FLOOR, 0.5 ** (max(0.0, age.total_seconds()) / half_life))
    attempts = counted_attempts().filter(cart=cart).count() if attempts is None else attempts
    in_hours = _calling_time_now(cart, now=now)
    score = _points(cart, items=items, policy=policy) * decay / (1 + policy.attempt_penalty * attempts)
    score *= 1.0 if in_hours else policy.outside_hours_factor
    label = Cart.Route(route).label
    value = money(cart.total_value, cart.currency)
    details = [reason for reason in reasons if not reason.startswith("at least")]
    tail = [f"{attempts} contact attempt{'s' if attempts != 1 else ''} so far"] if attempts else []
    tail += [] if in_hours else ["outside calling hours now"]
    explanation = ", ".join([f"{label}: {value} cart", *details, f"abandoned {ago(age)}", *tail])
    return CartPriority(route=route, score=round(score, 2), reasons=tuple(reasons), explanation=explanation)


def cart_rescore(cart: Cart, *, now: datetime) -> tuple[CartPriority, list[str]]:
    """Score an open cart whose row lock the caller holds and set the result on it; returns the priority and the
    fields the caller must save. It only scores: a caller that decides the cart's route starts its automated
    sequence itself (`sequence_start_if_routed`).

    For callers that hold the cart already (opening an abandoned cart), so it is not read a second time."""
    priority = cart_priority(cart, now=now)
    cart.route, cart.priority_score = priority.route, priority.score
    cart.priority_reason, cart.scored_at = priority.explanation[:500], now
    return priority, ["route", "priority_score", "priority_reason", "scored_at", "updated_at"]


@transaction.atomic
def cart_prioritize(*, cart_id: int, now: datetime | None = None) -> CartPriority | None:
    """Recompute and store an open cart's route, score and explanation; nothing else (no sequence starts)."""
    cart = (
        Cart.objects.select_for_update(of=("self",)).select_related("store__priority_policy", "customer")
        .filter(pk=cart_id, status=Cart.Status.OPEN).first()
    )
    if cart is None:
        return None
    priority, fields = cart_rescore(cart, now=now or timezone.now())
    cart.save(update_fields=fields)
    return priority
