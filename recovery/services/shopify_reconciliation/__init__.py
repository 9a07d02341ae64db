"""Reconcile a Shopify store's abandoned checkouts with what its webhooks brought.

Shopify retries a failed webhook for 4 hours and then drops it, so a longer outage (ours, the broker's, the
network's) would lose those checkouts for good. For a store with an Admin API access token, a periodic run reads
the Admin GraphQL API's `abandonedCheckouts` for the checkouts updated since the last successful run and ingests
them through the webhooks' own `cart_upsert`: a checkout a webhook already brought is found, not duplicated, and
one stored at the same or a newer `updatedAt` is left as it is. Completed checkouts are skipped: they are not
abandoned carts, and settling orders is the order webhooks' job.

GraphQL names a checkout by `gid://shopify/AbandonedCheckout/<id>` and carries no token, while the webhooks since
2026-04 carry only the token. A node is matched to a stored cart by the numeric id, the recovery URL (both carry
the same `abandoned_checkout_url`) or the token in that URL; a new cart is stored with both the id and that
token, so a webhook arriving later (a retry) finds it.
"""

from integrations.shopify.admin_api import (
    SHOPIFY_ADMIN_API_VERSION,
    ShopifyAdminApiError,
    ShopifyAdminClient,
)
from integrations.shopify.graphql_checkouts import (
    checkout_data_from_graphql,
    rest_checkout_from_graphql,
)
from recovery.services.shopify_reconciliation.reconcile import (
    COMPLETED,
    CREATED,
    INVALID,
    KNOWN,
    UPDATED,
    WINDOW_OVERLAP,
    WOULD_CREATE,
    WOULD_UPDATE,
    ReconciliationResult,
    reconcilable_store_ids,
    reconciliation_window_start,
    store_reconcile,
)

__all__ = [
    "COMPLETED",
    "CREATED",
    "INVALID",
    "KNOWN",
    "SHOPIFY_ADMIN_API_VERSION",
    "UPDATED",
    "WINDOW_OVERLAP",
    "WOULD_CREATE",
    "WOULD_UPDATE",
    "ReconciliationResult",
    "ShopifyAdminApiError",
    "ShopifyAdminClient",
    "checkout_data_from_graphql",
    "reconcilable_store_ids",
    "reconciliation_window_start",
    "rest_checkout_from_graphql",
    "store_reconcile",
]
