"""Reads for the recovery app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet

from core.access import within_scope
from core.encryption import decrypt
from recovery.models import Cart, PriorityPolicy, Store, WebhookDelivery


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
    return Cart.objects.select_related("store", "customer").prefetch_related("line_items", "events", "messages")


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
