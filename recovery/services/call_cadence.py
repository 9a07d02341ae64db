"""The follow-up cadence: calls spread over two to three days, then the automated sequence or closing.

The first call is made as soon as an agent is free (the queue puts new call-first carts
first; the 5-minute rule measures it). Each call attempt schedules the next at the
store's planned offsets from the first call (by default 5, 23, 33 and 52 hours: afternoon,
next morning, next evening, the day after), which the queue honours, and the compliance
gate still decides each one. After the last planned call the cart moves to the automated
sequence or closes as lost, as the store chooses; any open cart still unrecovered after
the store's `lost_after` closes as lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from recovery.models import Cart, Store
from recovery.selectors import policy_for
from recovery.services.carts import cart_close
from recovery.services.sequence import sequence_resume

# After the last planned call the customer gets this long to call back or buy before the cart moves on.
AFTER_LAST_CALL_GRACE = timedelta(hours=24)
CLOSE_BATCH_SIZE = 500


def carts_after_calls_close(*, now: datetime | None = None) -> int:
    """Carts whose last planned call is a grace period behind them: close as lost, or hand them to the
    automated sequence (the route then says why). Returns how many moved on."""
    now = now or timezone.now()
    moved = 0
    due = (
        Cart.objects.open().filter(calls_ended_at__lte=now - AFTER_LAST_CALL_GRACE, route=Cart.Route.CALL_FIRST)
        .order_by("pk").values_list("pk", flat=True)[:CLOSE_BATCH_SIZE]
    )
    for cart_id in list(due):
        with transaction.atomic():
            cart = Cart.objects.select_for_update(of=("self",)).select_related("store", "customer").filter(
                pk=cart_id, status=Cart.Status.OPEN).first()
            if cart is None:
                continue
            policy = policy_for(cart.store)
            reason = f"No recovery after {cart.call_attempts} calls."
            if policy.after_calls == "lost":
                _close_as_lost(cart, reason)
            else:
                cart.route = Cart.Route.AUTOMATED_FIRST
                cart.priority_reason = f"Automated first: {reason[0].lower()}{reason[1:-1]}, moved to messages"
                cart.save(update_fields=["route", "priority_reason", "updated_at"])
                sequence_resume(cart, now=now)
            moved += 1
    return moved


def carts_expire(*, now: datetime | None = None) -> int:
    """Close as lost every open cart older than its store's `lost_after`."""
    now = now or timezone.now()
    closed = 0
    for store in Store.objects.select_related("priority_policy"):
        cutoff = now - policy_for(store).lost_after
        ids = list(Cart.objects.open().filter(store=store, abandoned_at__lt=cutoff).order_by("pk")
                   .values_list("pk", flat=True)[:CLOSE_BATCH_SIZE])
        for cart_id in ids:
            with transaction.atomic():
                cart = (Cart.objects.select_for_update(of=("self",)).filter(pk=cart_id, status=Cart.Status.OPEN)
                        .exclude(reserved_until__gt=now).first())  # never from under an agent's hands
                if cart is None:
                    continue
                days = policy_for(store).lost_after.days
                _close_as_lost(cart, f"Not recovered within {days} days of abandonment "
                                     f"({cart.call_attempts} calls, {cart.messages.count()} messages).")
                closed += 1
    return closed


def _close_as_lost(cart: Cart, reason: str) -> None:
    cart_close(cart, status=Cart.Status.LOST, reason=reason, at=timezone.now(), release=True)
