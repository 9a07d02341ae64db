"""The work queue: the system hands each agent the best cart it may call now.

Agents never pick whom to call. `next_cart` returns the agent's current cart if it
still holds one, else reserves the highest-scored call-first cart that the compliance
gate allows calling now, in the agent's stores, that nobody else holds. Candidates are
read with `SELECT ... FOR UPDATE SKIP LOCKED`, so two agents asking at the same moment
never receive the same cart; the reservation is a lease that lapses when the agent
goes quiet, returning the cart to the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.models import AgentProfile
from compliance.services import check_contact
from recovery.models import Cart

LEASE = timedelta(minutes=10)
CANDIDATE_BATCH = 20


def _held_cart(agent, now: datetime) -> Cart | None:
    return (
        Cart.objects.select_for_update(of=("self",))
        .select_related("store", "customer")
        .filter(reserved_by=agent, reserved_until__gt=now, status=Cart.Status.OPEN)
        .order_by("reserved_until")
        .first()
    )


def _candidates(agent, now: datetime):
    carts = Cart.objects.open().filter(route=Cart.Route.CALL_FIRST).exclude(customer__phone="")
    carts = carts.filter(Q(reserved_until__isnull=True) | Q(reserved_until__lte=now))
    profile = AgentProfile.objects.filter(user=agent).prefetch_related("stores").first()
    if profile is not None and profile.stores.exists():
        carts = carts.filter(store__in=profile.stores.all())
    return (
        carts.select_related("store", "customer")
        .order_by("-priority_score", "pk")
        .select_for_update(of=("self",), skip_locked=True)[:CANDIDATE_BATCH]
    )


def _reserve(cart: Cart, agent, now: datetime) -> Cart:
    cart.reserved_by, cart.reserved_until = agent, now + LEASE
    cart.save(update_fields=["reserved_by", "reserved_until", "updated_at"])
    return cart


@transaction.atomic
def next_cart(agent, *, now: datetime | None = None) -> Cart | None:
    """The cart this agent should call now (its lease renewed), or None when nothing may be called."""
    now = now or timezone.now()
    held = _held_cart(agent, now)
    if held is not None:
        return _reserve(held, agent, now)
    for cart in _candidates(agent, now):
        decision = check_contact(channel="voice", store=cart.store, phone=str(cart.customer.phone),
                                 customer=cart.customer, cart=cart, at=now, audit=False)
        if decision.allowed:
            return _reserve(cart, agent, now)
    return None


@transaction.atomic
def cart_release(*, agent, cart_id: int) -> bool:
    """Give a cart back to the queue (call done, or the agent passes); True if the agent held it."""
    released = Cart.objects.filter(pk=cart_id, reserved_by=agent).update(reserved_by=None, reserved_until=None)
    return bool(released)
