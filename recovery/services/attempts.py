"""A contact attempt on a cart: the compliance gate decides and records the attempt; the cart's owner, this app,
then accounts for it (speed to lead, the call cadence, the automated sequence stopped by an agent's call).

The gate sits below this app and never calls it back: the cart's part follows here, in the same transaction and
under the gate's per-recipient lock, which lasts until that transaction ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from compliance.models import ContactAttempt
from compliance.services import Decision, contact_attempt_start
from recovery.models import Cart
from recovery.selectors import policy_for

# A retry is never scheduled sooner than this after the previous call, whatever the offsets say.
MIN_RETRY_GAP = timedelta(hours=1)


@transaction.atomic
def cart_contact_attempt_start(
    *,
    channel: str,
    store,
    phone: str | None = None,
    email: str | None = None,
    cart: Cart | None = None,
    customer=None,
    agent=None,
    requester: str = "system",
    at: datetime | None = None,
) -> tuple[Decision, ContactAttempt | None]:
    """Ask the gate and, if allowed, record the attempt and account for it on the cart, in one transaction.

    Returns the decision and the attempt (None when denied).
    """
    at = at or timezone.now()
    decision, attempt = contact_attempt_start(channel=channel, store=store, phone=phone, email=email, cart=cart,
                                              customer=customer, agent=agent, requester=requester, at=at)
    if attempt is not None and cart is not None:
        cart_attempt_record(cart_id=cart.pk, channel=channel, at=at, by_agent=agent is not None)
    return decision, attempt


@transaction.atomic
def cart_attempt_record(*, cart_id: int, channel: str, at: datetime, by_agent: bool) -> None:
    """Account for a contact attempt on a cart (called by `cart_contact_attempt_start` once the gate recorded it).

    Any first attempt sets `first_attempt_at` (speed to lead). A call schedules the next call or ends the
    cadence; a call by an agent stops the automated sequence (an agent has taken the cart).
    """
    cart = Cart.objects.select_for_update(of=("self",)).select_related("store").filter(pk=cart_id).first()
    if cart is None:
        return
    fields = ["updated_at"]
    if cart.first_attempt_at is None:
        cart.first_attempt_at = at
        fields.append("first_attempt_at")
    if channel == "voice":
        _schedule_next_call(cart, at=at)
        fields += ["call_attempts", "next_call_at", "calls_ended_at"]
        if by_agent and cart.next_message_at is not None:
            cart.next_message_at = None
            fields.append("next_message_at")
    cart.save(update_fields=fields)


def _schedule_next_call(cart: Cart, *, at: datetime) -> None:
    policy = policy_for(cart.store)
    cart.call_attempts += 1
    offsets = policy.call_retry_offsets
    if cart.call_attempts > len(offsets):
        cart.next_call_at, cart.calls_ended_at = None, at
        return
    first_call = min(cart.first_attempt_at or at, at)
    cart.next_call_at = max(first_call + offsets[cart.call_attempts - 1], at + MIN_RETRY_GAP)
