"""Reads for the recovery app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet

from core.access import within_scope
from core.encryption import decrypt
from recovery.models import Cart, CartEvent, MessageStep, PriorityPolicy, RecoveryMessage, Store, WebhookDelivery


@dataclass(frozen=True)
class WebhookStore:
    """Just what a webhook endpoint needs to verify and file a delivery."""

    pk: int
    platform: str
    shop_domain: str
    webhook_secret: str


_WEBHOOK_STORE_SQL = (
    "SELECT id, platform, shop_domain, webhook_secret FROM recovery_store WHERE shop_domain = %s AND is_active"
)


def webhook_store(shop_domain: str) -> WebhookStore | None:
    """The active store for a shop domain, in one raw query: it runs on every delivery, where the
    ORM's overhead was a large share of the endpoint's time (`python -m bench.ingest`)."""
    if not shop_domain:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_WEBHOOK_STORE_SQL, [shop_domain.strip().lower()])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, platform, domain, secret = row
    # Decrypted here as the model's field would: a wrong key raises DecryptionError, never an empty secret (which
    # would switch a Shopify store to the app's secret).
    return WebhookStore(pk, platform, domain, decrypt(secret, what="recovery.Store.webhook_secret"))


def store_for_api_token_hash(token_hash: str) -> Store | None:
    return Store.objects.filter(api_token_hash=token_hash, is_active=True).first()


def pending_delivery_ids(*, received_before: datetime) -> QuerySet:
    return (
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, received_at__lt=received_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def abandonment_candidate_ids(*, now: datetime) -> QuerySet:
    """Pending checkouts quiet for at least their store's shorter (friction) delay.

    The service re-checks the exact delay under a row lock.
    """
    return (
        Cart.objects.pending_abandonment()
        .filter(completed_at__isnull=True, platform_updated_at__lte=now - F("store__friction_abandonment_delay"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def carts_for_store(store: Store) -> QuerySet[Cart]:
    return (
        Cart.objects.for_store(store)
        .select_related("customer")
        .prefetch_related("line_items")
        .order_by("-pk")
    )


def recent_carts(limit: int = 50, *, scope: frozenset[int] | None = None) -> QuerySet[Cart]:
    carts = within_scope(Cart.objects.select_related("store", "customer"), scope)
    return carts.order_by("-abandoned_at", "-pk")[:limit]


def filtered_carts(*, status: str = "", store: Store | None = None, q: str = "") -> QuerySet[Cart]:
    carts = Cart.objects.select_related("store", "customer").order_by("-abandoned_at", "-pk")
    if status:
        carts = carts.filter(status=status)
    if store:
        carts = carts.filter(store=store)
    if q:
        carts = carts.filter(
            Q(customer__email__icontains=q)
            | Q(customer__last_name__icontains=q)
            | Q(customer__phone__icontains=q)
            | Q(checkout_token=q)
            | Q(external_id=q)
        )
    return carts


def cart_with_history() -> QuerySet[Cart]:
    """A cart with what its page shows beside the history (which `agents.selectors.cart_history` reads)."""
    return Cart.objects.select_related("store", "customer").prefetch_related("line_items", "messages")


def due_message_steps(*, now: datetime) -> QuerySet:
    """(cart id, step) of open carts whose next sequence message is due, oldest first."""
    return (
        Cart.objects.open().filter(next_message_at__lte=now, next_message_step__gt=0)
        .order_by("next_message_at").values_list("pk", "next_message_step")
    )


def policy_for(store: Store) -> PriorityPolicy:
    """The store's priority policy, or the defaults (unsaved) for a store that has none."""
    try:
        return store.priority_policy
    except PriorityPolicy.DoesNotExist:
        return PriorityPolicy(store=store)


# The gate's facts about a customer of a store (`compliance.selectors`, which registers them from
# `RecoveryConfig.ready()`): scalar subqueries of its one statement, in its parameters (%(store)s, and
# %(person_email)s or %(customer_phone)s). When the customer's last cart of the store began:
CUSTOMER_LAST_CART_BY_PHONE_SQL = """(SELECT max(cart.platform_created_at) FROM recovery_cart AS cart
     JOIN recovery_customer AS customer ON customer.id = cart.customer_id
     WHERE cart.store_id = %(store)s AND customer.phone = %(customer_phone)s)"""
CUSTOMER_LAST_CART_BY_EMAIL_SQL = """(SELECT max(cart.platform_created_at) FROM recovery_cart AS cart
     JOIN recovery_customer AS customer ON customer.id = cart.customer_id
     WHERE cart.store_id = %(store)s AND UPPER(customer.email::text) = UPPER(%(person_email)s))"""
# Where the number's customer lives (country, region), for the calling hours of their place:
CUSTOMER_ADDRESS_BY_PHONE_SQL = """(SELECT ARRAY[country, region] FROM recovery_customer
     WHERE store_id = %(store)s AND phone = %(customer_phone)s ORDER BY updated_at DESC LIMIT 1)"""


# Recovery's part of a cart's history, a fragment of the history statement `agents.selectors` composes (each owner
# gives its rows as (at, source, id, data)): the cart's events and its automated messages. Parameters: %(cart)s,
# %(limit)s.
CART_HISTORY_SQL = """
(SELECT event.at, 'event', event.id, jsonb_build_object('kind', event.kind, 'source', event.source,
        'note', event.detail -> 'note', 'reason', event.detail -> 'reason')
 FROM recovery_cartevent AS event WHERE event.cart_id = %(cart)s ORDER BY event.at DESC LIMIT %(limit)s)
UNION ALL
(SELECT coalesce(message.sent_at, message.claimed_at, message.created_at), 'message', message.id,
        jsonb_build_object('step', message.step, 'channel', message.channel, 'status', message.status,
                           'detail', message.detail, 'attempt', message.attempt_id)
 FROM recovery_recoverymessage AS message WHERE message.cart_id = %(cart)s
 ORDER BY message.created_at DESC LIMIT %(limit)s)
"""


def event_history_text(data: dict) -> tuple[str, str]:
    """(kind, sentence) of an event row of CART_HISTORY_SQL."""
    kind = dict(CartEvent.Kind.choices).get(data.get("kind", ""), data.get("kind", ""))
    source = dict(CartEvent.Source.choices).get(data.get("source", ""), data.get("source", ""))
    extra = [str(data[key]) for key in ("reason", "note") if data.get(key)]
    return "Cart", " · ".join([f"{kind} via {source}", *extra])


def message_history_text(data: dict) -> tuple[str, str]:
    """(kind, sentence) of a message row of CART_HISTORY_SQL."""
    step = dict(MessageStep.choices).get(data.get("step"), f"Step {data.get('step')}")
    status = dict(RecoveryMessage.Status.choices).get(data.get("status", ""), data.get("status", ""))
    channel = {"sms": "Text", "email": "Email"}.get(data.get("channel", ""), "Message")
    detail = f": {data['detail'][:160]}" if data.get("detail") else ""
    return channel, f"{step}, {status.lower()}{detail}"
