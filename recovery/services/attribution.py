"""Which cart an order recovers, who gets the credit, and the control group nobody contacts.

An order recovers the cart whose checkout it completes (token or legacy id); failing that,
the same customer's (email or phone) most recent abandoned cart in the store within the
store's attribution window. The credit goes to the last contact attempt on that cart within
the window (its agent and channel), or to nobody ("self-recovered"). A cart in the control
group, chosen at random when it arrived, is never contacted: its recoveries are the
baseline the dashboards measure the team's lift against.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from compliance.models import ContactAttempt
from integrations.data import OrderData
from recovery.models import Cart, Store

# Statuses an order can still turn into a recovery (or a plain completion).
ORDER_ATTRIBUTABLE = {Cart.Status.PENDING, Cart.Status.OPEN, Cart.Status.LOST, Cart.Status.EXPIRED,
                      Cart.Status.SUPPRESSED}


def in_control_group(store: Store, identity: str) -> bool:
    """Random but stable: a hash of the store and the checkout's identity, so a redelivered or updated
    checkout keeps its draw, and the share matches the store's setting over many carts."""
    share = float(store.control_group_share or 0)
    if share <= 0:
        return False
    digest = hashlib.sha256(f"control:{store.pk}:{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def order_cart(store: Store, order: OrderData) -> Cart | None:
    """The cart the order recovers (locked), or None."""
    carts = Cart.objects.select_for_update(of=("self",)).filter(store=store)
    if order.checkout_token:
        found = carts.filter(checkout_token=order.checkout_token).first()
        if found:
            return found
    if order.legacy_checkout_id:
        found = carts.filter(external_id=order.legacy_checkout_id).first()
        if found:
            return found
    same_person = Q()
    if order.email:
        same_person |= Q(customer__email__iexact=order.email)
    if order.phone:
        same_person |= Q(customer__phone=order.phone)
    if not same_person:
        return None
    since = order.placed_at - store.attribution_window
    return (carts.filter(same_person, status__in=ORDER_ATTRIBUTABLE - {Cart.Status.PENDING},
                         abandoned_at__gte=since, abandoned_at__lte=order.placed_at)
            .order_by("-abandoned_at").first())


def credit(cart: Cart, *, at: datetime, order_value: Decimal) -> None:
    """Set the cart's attribution for a recovery at `at` (the caller saves the cart)."""
    cart.upsell_value = max(Decimal("0"), order_value - cart.total_value)
    if cart.in_control_group:
        cart.attribution, cart.recovered_attempt, cart.recovered_by, cart.recovered_channel = (
            Cart.Attribution.CONTROL, None, None, "")
        return
    window_start = at - cart.store.attribution_window
    last = (ContactAttempt.objects.filter(cart=cart, at__gte=window_start, at__lte=at)
            .exclude(outcome="not_sent").order_by("-at", "-pk").first())
    if last is None:
        cart.attribution, cart.recovered_attempt, cart.recovered_by, cart.recovered_channel = (
            Cart.Attribution.SELF_RECOVERED, None, None, "")
        return
    cart.attribution, cart.recovered_attempt = Cart.Attribution.CONTACTED, last
    cart.recovered_by_id, cart.recovered_channel = last.agent_id, last.channel
