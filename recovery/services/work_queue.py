"""What the work queue (agents) does to a cart, as recovery's services: carts are recovery's, so the queue asks
for a cart to be parked, taken out of the calls, released or recovered by a phone payment, and recovery writes.
The reservation itself (one statement with the pop) is `recovery.services.queue_sql`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from recovery.models import Cart, CartEvent, Customer
from recovery.services.attempts import MIN_RETRY_GAP
from recovery.services.attribution import credit
from recovery.services.sequence import sequence_resume


def cart_park(*, cart: Cart, until: datetime) -> Cart:
    """Take a cart the gate refused out of the queue's head until `until`, and end its lease."""
    cart.next_call_at = until
    cart.reserved_by, cart.reserved_until = None, None
    cart.save(update_fields=["next_call_at", "reserved_by", "reserved_until", "updated_at"])
    return cart


def cart_calls_hold(*, cart_id: int, until: datetime) -> Cart | None:
    """A callback is booked for `until`: no automatic retry before it. The cadence's next call moves to an hour
    after the callback (the callback itself is handed out by the queue when due, whatever `next_call_at` says, and
    its dial plans the retries after it); a later planned call stays as it is. Returns the open cart, or None."""
    cart = Cart.objects.select_for_update(of=("self",)).filter(pk=cart_id, status=Cart.Status.OPEN).first()
    if cart is None:
        return None
    hold = until + MIN_RETRY_GAP
    if cart.calls_ended_at is None and (cart.next_call_at is None or cart.next_call_at < hold):
        cart.next_call_at = hold
        cart.save(update_fields=["next_call_at", "updated_at"])
    return cart


def cart_calls_end(*, cart: Cart, reason: str, at: datetime) -> Cart:
    """A cart that can't be called at all leaves the calls for good, to the automated sequence, which resumes."""
    cart.calls_ended_at, cart.next_call_at, cart.route = at, None, Cart.Route.AUTOMATED_FIRST
    cart.reserved_by, cart.reserved_until = None, None
    cart.priority_reason = f"Automated first: not callable ({reason})"[:500]
    cart.save(update_fields=["calls_ended_at", "next_call_at", "route", "priority_reason", "reserved_by",
                             "reserved_until", "updated_at"])
    sequence_resume(cart, now=at)
    return cart


def cart_release(*, cart_id: int, agent_id: int) -> bool:
    """Give a cart back to the queue; True if the agent held it."""
    return bool(Cart.objects.filter(pk=cart_id, reserved_by_id=agent_id).update(reserved_by=None,
                                                                                 reserved_until=None))


def cart_pass(*, cart_id: int, agent_id: int, until: datetime) -> bool:
    """Give back a cart the agent passed (did not call): the queue hands it to anyone but that agent until
    `until`, so a pass is not answered by the same cart; True if the agent held it."""
    return bool(Cart.objects.filter(pk=cart_id, reserved_by_id=agent_id).update(
        reserved_by=None, reserved_until=None, passed_by_id=agent_id, passed_until=until))


@transaction.atomic
def cart_recover_by_phone(*, cart_id: int, amount: Decimal, reference: str, by: str, at: datetime) -> Cart:
    """The customer paid on a call (the store's phone terminal): an open or lost cart becomes recovered, credited,
    with its history saying who took the payment (`by`); a cart already closed otherwise stays as it is."""
    cart = Cart.objects.select_for_update(of=("self",)).get(pk=cart_id)
    if cart.status in (Cart.Status.OPEN, Cart.Status.LOST):
        previous = cart.status
        cart.status, cart.recovered_at, cart.recovered_value = Cart.Status.RECOVERED, at, amount
        cart.recovered_order_id = f"phone:{reference[:90]}"
        cart.next_call_at = cart.next_message_at = None
        credit(cart, at=at, order_value=amount)
        cart.save()
        CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.STATUS_CHANGED, source=CartEvent.Source.SYSTEM,
                                 at=at, detail={"previous": previous, "status": cart.status,
                                                "reason": f"Paid by phone with {by}"})
    return cart


def customer_number_wrong(*, customer: Customer) -> Customer:
    """The number reached someone else: keep what was dialled, and call it no more."""
    customer.phone_raw, customer.phone, customer.phone_invalid = str(customer.phone), "", True
    customer.save(update_fields=["phone_raw", "phone", "phone_invalid", "updated_at"])
    return customer
