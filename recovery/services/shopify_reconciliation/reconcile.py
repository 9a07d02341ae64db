"""One store's reconciliation: its window, its watermark, and each checkout ingested as the webhooks would."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import Q
from django.utils import timezone

from core.db.locks import session_try_lock
from integrations.data import CartData
from integrations.parsing import PayloadError
from integrations.shopify.admin_api import ShopifyAdminClient
from integrations.shopify.graphql_checkouts import checkout_data_from_graphql
from recovery.models import Cart, CartEvent, Platform, Store
from recovery.selectors import policy_for
from recovery.services.carts import cart_identity_lock, cart_upsert

logger = logging.getLogger(__name__)

# Shopify's search index can lag a write by a little, so each run re-reads the end of the previous window.
WINDOW_OVERLAP = timedelta(minutes=10)
FIRST_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ReconciliationResult:
    shop_domain: str
    since: datetime
    until: datetime
    outcomes: dict[str, int] = field(default_factory=dict)
    watermark_advanced: bool = False
    busy: bool = False  # another run held this store

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)


# Outcomes of one checkout.
CREATED, UPDATED, KNOWN, COMPLETED, INVALID = "created", "updated", "already stored", "completed", "invalid"
WOULD_CREATE, WOULD_UPDATE = "would create", "would update"


def reconcilable_store_ids() -> list[int]:
    """Active Shopify stores that gave an Admin API access token, by primary key."""
    # B106: excludes stores whose token is blank; no secret is written here.
    stores = Store.objects.filter(platform=Platform.SHOPIFY, is_active=True).exclude(
        shopify_admin_access_token="")  # nosec B106
    return list(stores.order_by("pk").values_list("pk", flat=True))


def reconciliation_window_start(store: Store, *, now: datetime) -> datetime:
    """Where a scheduled run starts: the watermark less the overlap, 24 hours back the first time, and never further
    back than the store's carts stay open (its `lost_after`, 7 days by default): an older checkout is not worth a
    call."""
    if store.shopify_reconciled_through is None:
        return now - FIRST_WINDOW
    return max(store.shopify_reconciled_through - WINDOW_OVERLAP, now - policy_for(store).lost_after)


def store_reconcile(
    *, store: Store, since: datetime | None = None, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> ReconciliationResult:
    """Read the store's checkouts updated from `since` (default: the scheduled window) to now and ingest the missing.

    The watermark moves to the time this run began (its window's end) only once every page was read: a failed
    run leaves it, so the next run reads the same checkouts again (ingesting is idempotent). An operator's `since`
    later than the watermark does not move it, since the gap between them was not read. Raises
    `ShopifyAdminApiError` (no token, or the API failed).
    """
    client = ShopifyAdminClient(shop_domain=store.shop_domain, access_token=store.shopify_admin_access_token,
                                sleep=sleep)
    until = timezone.now()
    start = since or reconciliation_window_start(store, now=until)
    # One run per store at a time (beat and an operator's command may overlap); a session lock, not a
    # transaction's: the run makes HTTP requests and must not hold a transaction open.
    with session_try_lock(f"shopify-reconcile:{store.pk}") as acquired:
        if not acquired:
            return ReconciliationResult(shop_domain=store.shop_domain, since=start, until=until, busy=True)
        outcomes: Counter[str] = Counter()
        for node in client.abandoned_checkouts(updated_from=start, updated_to=until):
            outcomes[_node_reconcile(store, node, dry_run=dry_run)] += 1
        advanced = not dry_run and _watermark_advance(store, start=start, until=until, scheduled=since is None)
    return ReconciliationResult(shop_domain=store.shop_domain, since=start, until=until, outcomes=dict(outcomes),
                                watermark_advanced=advanced)


def _watermark_advance(store: Store, *, start: datetime, until: datetime, scheduled: bool) -> bool:
    """Move the watermark to `until`, never backwards (an older run finishing after a newer one)."""
    stores = Store.objects.filter(pk=store.pk).filter(
        Q(shopify_reconciled_through__isnull=True) | Q(shopify_reconciled_through__lt=until)
    )
    if not scheduled:
        stores = stores.filter(Q(shopify_reconciled_through__isnull=True) | Q(shopify_reconciled_through__gte=start))
    advanced = bool(stores.update(shopify_reconciled_through=until))
    if advanced:
        store.shopify_reconciled_through = until
    return advanced


def _node_reconcile(store: Store, node: dict, *, dry_run: bool) -> str:
    if node.get("completedAt"):
        return COMPLETED
    try:
        data = checkout_data_from_graphql(node, store_currency=store.currency)
    except PayloadError as exc:
        # Retrying cannot fix Shopify's data: noted, and the run goes on.
        logger.warning("Shopify reconciliation of %s: checkout %s skipped: %s", store.shop_domain, node.get("id"), exc)
        return INVALID
    try:
        return _checkout_ingest(store, data, dry_run=dry_run)  # its own transaction: rolled back on error
    except (ValidationError, DataError) as exc:
        # Data PostgreSQL or the model refuses (a NUL in a name) would fail every run at this checkout, so the
        # watermark would never move: skipped and noted, like a malformed node.
        logger.warning("Shopify reconciliation of %s: checkout %s not storable: %s", store.shop_domain,
                       node.get("id"), type(exc).__name__)
        return INVALID


@transaction.atomic
def _checkout_ingest(store: Store, data: CartData, *, dry_run: bool) -> str:
    """Ingest one checkout unless a cart already holds it at the same or a newer `updatedAt`.

    Decided under the checkout's own lock (the one `cart_upsert` and so the webhooks take), and looked up again
    once it is held, since a webhook may have stored the checkout in between.
    """
    cart, data = _with_stored_identity(store, data)
    if not dry_run:
        cart_identity_lock(store.pk, data.identity)
        cart, data = _with_stored_identity(store, data)
        cart_identity_lock(store.pk, data.identity)  # the same lock again, unless the lookup changed who it is
    if cart is not None and _stored_is_as_new(cart, data):
        return KNOWN
    if dry_run:
        return WOULD_CREATE if cart is None else WOULD_UPDATE
    result = cart_upsert(store=store, data=data, source=CartEvent.Source.SHOPIFY)
    if result.stale:
        return KNOWN
    return CREATED if result.created else UPDATED


def _stored_is_as_new(cart: Cart, data: CartData) -> bool:
    """The stored cart is this snapshot or newer: a webhook's payload is richer than GraphQL's, so it stays."""
    return bool(cart.platform_updated_at and data.platform_updated_at
                and data.platform_updated_at <= cart.platform_updated_at)


def _with_stored_identity(store: Store, data: CartData) -> tuple[Cart | None, CartData]:
    """The stored cart this checkout is, if any, and the checkout named as that cart is stored.

    Matched by numeric id, then token, then recovery URL. The cart keeps its own token and id; the checkout's
    fill in those it lacks, unless another cart already holds them.
    """
    stored = Cart.objects.filter(store=store).order_by().only(
        "pk", "checkout_token", "external_id", "checkout_url", "platform_updated_at")
    match = Q(pk__in=[])
    if data.external_id:
        match |= Q(external_id=data.external_id)
    if data.checkout_token:
        match |= Q(checkout_token=data.checkout_token)
    # By id and token first (both indexed); the recovery URL (not indexed) only when neither is stored. A cart
    # matched by URL alone holds neither, so it could not change the choice below.
    candidates = list(stored.filter(match))
    if not candidates and data.checkout_url:
        candidates = list(stored.filter(checkout_url=data.checkout_url))

    def rank(cart: Cart) -> int:
        if data.external_id and cart.external_id == data.external_id:
            return 0
        return 1 if data.checkout_token and cart.checkout_token == data.checkout_token else 2

    if not candidates:
        return None, data
    cart = min(candidates, key=rank)
    others = [other for other in candidates if other.pk != cart.pk]
    token_free = all(other.checkout_token != data.checkout_token for other in others)
    id_free = all(other.external_id != data.external_id for other in others)
    return cart, replace(
        data,
        checkout_token=cart.checkout_token or (data.checkout_token if token_free else ""),
        external_id=cart.external_id or (data.external_id if id_free else ""),
    )
