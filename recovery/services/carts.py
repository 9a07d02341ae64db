"""Cart writes: one upsert for every source, order attribution, and abandonment."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from integrations.data import CartData, OrderData
from integrations.parsing import recovery_link_problem
from recovery.models import Cart, CartEvent, CartLineItem, Store
from recovery.services import attribution
from recovery.services.customers import customer_upsert
from recovery.services.priority import cart_rescore
from recovery.services.sequence import sequence_start_if_routed


@dataclass(frozen=True)
class CartUpsertResult:
    cart: Cart | None
    created: bool = False
    changed: bool = False
    stale: bool = False

    @property
    def outcome(self) -> str:
        if self.stale:
            return "stale update ignored"
        if self.created:
            return "cart created"
        return "cart updated" if self.changed else "no change"


def cart_identity_lock(store_id: int, identity: str) -> None:
    """Serialise writers of one checkout (two deliveries, or a delivery and the API).

    A transaction-scoped advisory lock also covers the first insert, which a row
    lock cannot: no duplicate cart, no lost update.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [store_id, identity])


# The checkout's cart, locked: by checkout token, else by the store's id for it (each unique per store), else (a
# token no cart has yet) a tokenless cart with the same recovery URL, which the reconciliation stores when
# Shopify's URL does not show the token. `checkout_url <> ''` lets the planner use the partial hash index.
_FIND_CART_SQL = """
SELECT * FROM recovery_cart
WHERE store_id = %(store)s AND ((%(token)s <> '' AND checkout_token = %(token)s)
                                OR (%(external_id)s <> '' AND external_id = %(external_id)s)
                                OR (%(token)s <> '' AND %(url)s <> '' AND checkout_token = ''
                                    AND checkout_url = %(url)s AND checkout_url <> ''))
ORDER BY (%(token)s <> '' AND checkout_token = %(token)s) DESC,
         (%(external_id)s <> '' AND external_id = %(external_id)s) DESC
LIMIT 1
FOR UPDATE
"""


def _find_cart(store: Store, *, checkout_token: str, external_id: str, checkout_url: str = "") -> Cart | None:
    """One raw query: it runs for every delivery applied, where the ORM's lookups cost several times it."""
    if not (checkout_token or external_id):
        return None
    params = {"store": store.pk, "token": checkout_token, "external_id": external_id, "url": checkout_url}
    return next(iter(Cart.objects.raw(_FIND_CART_SQL, params)), None)


_LINE_ITEM_FIELDS = ("title", "sku", "variant", "product_id", "variant_id", "quantity", "unit_price")
_STORED_ITEMS_SQL = ("SELECT position, title, sku, variant, product_id, variant_id, quantity, unit_price "
                     "FROM recovery_cartlineitem WHERE cart_id = %s ORDER BY position, id")  # _LINE_ITEM_FIELDS


def _replace_line_items(cart: Cart, data: CartData, *, created: bool) -> None:
    """Make the cart's items the checkout's. Most updates leave them as they were (a new address, a note):
    those are compared, not deleted and inserted again; a new cart has none to delete."""
    items = [(position, *(getattr(item, name) for name in _LINE_ITEM_FIELDS))
             for position, item in enumerate(data.line_items)]
    if not created:
        with connection.cursor() as cursor:
            cursor.execute(_STORED_ITEMS_SQL, [cart.pk])
            if cursor.fetchall() == items:
                return
        cart.line_items.all().delete()
    CartLineItem.objects.bulk_create(
        CartLineItem(cart=cart, **dict(zip(("position", *_LINE_ITEM_FIELDS), item, strict=True))) for item in items
    )


def _apply_fields(cart: Cart, data: CartData) -> None:
    cart.checkout_token = data.checkout_token or cart.checkout_token
    cart.external_id = data.external_id or cart.external_id
    cart.total_value = data.total_value
    cart.currency = data.currency
    cart.checkout_url = data.checkout_url or cart.checkout_url
    cart.platform_created_at = data.platform_created_at or cart.platform_created_at
    cart.platform_updated_at = data.platform_updated_at or cart.platform_updated_at
    cart.payment_failed = data.payment_failed
    cart.reached_payment_step = data.reached_payment_step
    cart.error_text = data.error_text
    cart.discount_code_tried = data.discount_code_tried
    cart.raw_payload = data.raw_payload or {}


def _is_stale(cart: Cart, data: CartData) -> bool:
    return bool(
        cart.platform_updated_at and data.platform_updated_at and data.platform_updated_at < cart.platform_updated_at
    )


def _is_unchanged(cart: Cart, data: CartData) -> bool:
    return cart.platform_updated_at == data.platform_updated_at and cart.raw_payload == (data.raw_payload or {})


def _settle_completion(cart: Cart, completed_at: datetime) -> None:
    cart.completed_at = completed_at
    if cart.status == Cart.Status.PENDING:
        cart.status = Cart.Status.COMPLETED
    elif cart.status in attribution.ORDER_ATTRIBUTABLE:
        cart.status = Cart.Status.RECOVERED
        cart.recovered_at = cart.recovered_at or completed_at
        cart.recovered_value = cart.recovered_value or cart.total_value
        cart.next_call_at = cart.next_message_at = None
        if not cart.attribution:
            attribution.credit(cart, at=cart.recovered_at, order_value=cart.recovered_value)


@transaction.atomic
def cart_upsert(*, store: Store, data: CartData, source: str) -> CartUpsertResult:
    """Create or update the cart a checkout describes; idempotent and order-safe.

    An update older (by the platform's `updated_at`) than what is stored is
    ignored, so out-of-order deliveries never roll a cart back. A recovery link
    that `recovery_link_problem` refuses is dropped here, where every source
    arrives: the cart is stored without it and its history says why.
    """
    link_problem = recovery_link_problem(data.checkout_url)
    if link_problem:
        data = replace(data, checkout_url="")
    cart_identity_lock(store.pk, data.identity)
    cart = _find_cart(store, checkout_token=data.checkout_token, external_id=data.external_id,
                      checkout_url=data.checkout_url)
    if cart is not None:
        cart.store = store  # the one in hand, not read again for its delays and policy
    created = cart is None
    if cart is not None and _is_stale(cart, data):
        return CartUpsertResult(cart=cart, stale=True)
    if cart is not None and _is_unchanged(cart, data) and not data.completed_at:
        return CartUpsertResult(cart=cart)
    previous_status = None if created else cart.status
    if cart is None:
        cart = Cart(store=store, in_control_group=attribution.in_control_group(store, data.identity))
    _apply_fields(cart, data)
    cart.customer = customer_upsert(store=store, data=data.customer) or cart.customer
    if data.completed_at and not cart.completed_at:
        _settle_completion(cart, data.completed_at)
    if created and data.abandoned_at and not data.completed_at and _is_reachable(cart):
        # The store itself declares the cart abandoned (REST API): workable now.
        cart.abandoned_at = data.abandoned_at
        cart.status = Cart.Status.OPEN
        cart.workable_since = timezone.now()
    cart.full_clean(exclude=["customer", "store", "checkout_url"], validate_unique=False)
    cart.save()
    _replace_line_items(cart, data, created=created)
    note = {"note": f"Recovery link dropped: {link_problem}."} if link_problem else {}
    _record_event(cart, CartEvent.Kind.CREATED if created else CartEvent.Kind.UPDATED, source, **note)
    if previous_status is not None and previous_status != cart.status:
        _record_status_change(cart, previous_status, source)
    if cart.status == Cart.Status.PENDING:
        # A checkout already quiet for the delay (a late delivery, a backlog) is workable at once; one that is
        # not (the usual case) is not read again to find that out.
        now = timezone.now()
        if not (_quiet_long_enough(cart, now) and cart_open_if_abandoned(cart_id=cart.pk, now=now)):
            _schedule_abandonment_check(cart)
    elif cart.status == Cart.Status.OPEN:
        cart_reroute(cart_id=cart.pk)
    return CartUpsertResult(cart=cart, created=created, changed=True)


_EVENT_SQL = "INSERT INTO recovery_cartevent (cart_id, kind, source, at, detail) VALUES (%s, %s, %s, %s, %s)"


def _record_event(cart: Cart, kind: str, source: str, **detail) -> None:
    """Append an event to the cart's history: one plain INSERT, as it runs for every delivery applied (the
    ORM's create cost several times the statement's own time)."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENT_SQL, [cart.pk, kind, source, timezone.now(), json.dumps(detail)])


def cart_close(cart: Cart, *, status: str, reason: str, at: datetime, release: bool = False) -> Cart:
    """Close an open cart (lost, suppressed) with the reason in words: no more calls or messages are planned,
    and the history records why. `release` also ends an agent's lease on it."""
    previous = cart.status
    cart.status, cart.status_reason = status, reason
    cart.next_call_at = cart.next_message_at = None
    fields = ["status", "status_reason", "next_call_at", "next_message_at", "updated_at"]
    if release:
        cart.reserved_by = cart.reserved_until = None
        fields += ["reserved_by", "reserved_until"]
    cart.save(update_fields=fields)
    CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.STATUS_CHANGED, source=CartEvent.Source.SYSTEM, at=at,
                             detail={"previous": previous, "status": status, "reason": reason})
    return cart


def _record_status_change(cart: Cart, previous: str, source: str) -> None:
    _record_event(cart, CartEvent.Kind.STATUS_CHANGED, source, previous=previous, status=cart.status)


def _last_activity(cart: Cart) -> datetime:
    return cart.platform_updated_at or cart.platform_created_at or cart.created_at


def _quiet_long_enough(cart: Cart, now: datetime) -> bool:
    """The checkout has not been touched for its store's abandonment delay (shorter with friction)."""
    return _last_activity(cart) + abandonment_delay_for(cart) <= now


def _schedule_abandonment_check(cart: Cart) -> None:
    """Check again when the checkout will have been quiet for the delay (a second after, for clock skew)."""
    from recovery.tasks import open_cart_if_abandoned_task

    last_activity = _last_activity(cart)
    remaining = last_activity + abandonment_delay_for(cart) - timezone.now()
    countdown = min(max(1, int(remaining.total_seconds()) + 1), int(abandonment_delay_for(cart).total_seconds()) + 1)
    transaction.on_commit(lambda: open_cart_if_abandoned_task.apply_async(args=[cart.pk], countdown=countdown))


def abandonment_delay_for(cart: Cart):
    store = cart.store
    return store.friction_abandonment_delay if cart.has_friction else store.abandonment_delay


def _is_reachable(cart: Cart) -> bool:
    customer = cart.customer
    return bool(customer and (customer.phone or customer.email))


@transaction.atomic
def cart_open_if_abandoned(*, cart_id: int, now: datetime | None = None) -> bool:
    """Turn a pending checkout into an open abandoned cart once it has gone quiet.

    A checkout becomes workable when it is not completed, names a phone or an
    email, and has not been touched for the store's abandonment delay (shorter
    with friction). Returns True when the cart was opened.
    """
    now = now or timezone.now()
    cart = (
        Cart.objects.select_for_update(of=("self",))
        .select_related("store__priority_policy", "customer")
        .filter(pk=cart_id, status=Cart.Status.PENDING, completed_at__isnull=True)
        .first()
    )
    if cart is None or not _is_reachable(cart) or not _quiet_long_enough(cart, now):
        return False
    last_activity = _last_activity(cart)
    cart.status = Cart.Status.OPEN
    cart.abandoned_at = last_activity
    cart.workable_since = now
    _record_event(cart, CartEvent.Kind.ABANDONED, CartEvent.Source.SYSTEM, last_activity=last_activity.isoformat())
    # Scored in the same breath: the cart in hand is not read again, and one UPDATE stores it all.
    _, scored_fields = cart_rescore(cart, now=now)
    started_fields = sequence_start_if_routed(cart, now=now)  # opening decides the route: it starts the sequence
    cart.save(update_fields=["status", "abandoned_at", "workable_since", *scored_fields, *started_fields])
    return True


@transaction.atomic
def cart_reroute(*, cart_id: int, now: datetime | None = None) -> bool:
    """Re-score an open cart after new data and, when it is now routed automated-first with no sequence yet,
    start its sequence; returns True when the cart was open. The delivery decides the route here, so this service
    starts the sequence explicitly; the minute's re-scoring sweep only scores."""
    now = now or timezone.now()
    cart = (
        Cart.objects.select_for_update(of=("self",)).select_related("store__priority_policy", "customer")
        .filter(pk=cart_id, status=Cart.Status.OPEN).first()
    )
    if cart is None:
        return False
    _, scored_fields = cart_rescore(cart, now=now)
    cart.save(update_fields=[*scored_fields, *sequence_start_if_routed(cart, now=now)])
    return True


@transaction.atomic
def cart_record_order(*, store: Store, order: OrderData, source: str) -> Cart | None:
    """Mark the cart an order came from as recovered (or completed if never abandoned), with its credit.

    Matched on the order's checkout token (WooCommerce: cart hash) or legacy checkout id, else on the
    customer within the store's attribution window (`attribution.order_cart`). Returns the cart, or None
    when no cart matches. Idempotent.
    """
    if not order.counts_as_sale:
        return None
    cart = attribution.order_cart(store, order)
    if cart is None or cart.status not in attribution.ORDER_ATTRIBUTABLE:
        return cart
    previous = cart.status
    cart.status = Cart.Status.RECOVERED if cart.abandoned_at else Cart.Status.COMPLETED
    cart.completed_at = cart.completed_at or order.placed_at
    cart.recovered_at = order.placed_at
    cart.recovered_value = order.total_value
    cart.recovered_order_id = order.order_id
    cart.next_call_at = cart.next_message_at = None
    if cart.status == Cart.Status.RECOVERED:
        attribution.credit(cart, at=order.placed_at, order_value=order.total_value)
    cart.save()
    _record_event(cart, CartEvent.Kind.ORDER_PLACED, source, order_id=order.order_id, total=str(order.total_value))
    _record_status_change(cart, previous, source)
    return cart
