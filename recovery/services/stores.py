"""Store writes: what Shopify tells us about the app's installation in a store.

A store's erasure (`shop/redact`) is irreversible, and Shopify signs a webhook's body only, not its topic: a body
signed for another topic could be presented as `shop/redact`. Shopify sends the real one 48 hours after the app
was uninstalled, so an erasure waits until the uninstall is known: from an `app/uninstalled` delivery, or from
Shopify refusing the store's Admin API token (it revokes it at once on uninstall).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from integrations.shopify.admin_api import ShopifyAdminApiError, ShopifyAdminClient
from recovery.models import Store


class StoreNotUninstalled(Exception):
    """The store is not known to have uninstalled the app: its erasure must wait (the delivery fails, is retried,
    and can be replayed from the admin once the uninstall is known)."""


def store_record_uninstalled(*, store: Store, at: datetime) -> Store:
    """Note on the store that the app was uninstalled at `at`; the first time heard is kept (a redelivery or a
    later confirmation changes nothing)."""
    Store.objects.filter(pk=store.pk, uninstalled_at__isnull=True).update(uninstalled_at=at)
    store.refresh_from_db(fields=["uninstalled_at"])
    return store


def store_confirm_uninstalled(*, store: Store) -> str:
    """Return how the store is known to have uninstalled the app, asking Shopify when an Admin API token is on file
    and no `app/uninstalled` delivery came (a 401 is recorded as the uninstall). Raises `StoreNotUninstalled`
    saying why otherwise, so nothing is erased on a replayed or mislabelled body."""
    if store.uninstalled_at:
        return f"app uninstalled at {store.uninstalled_at:%Y-%m-%d %H:%M} UTC"
    if not store.shopify_admin_access_token:
        raise StoreNotUninstalled(
            "store not known to be uninstalled: no app/uninstalled delivery received and no Admin API token on file "
            "to ask Shopify; replay this delivery once the app/uninstalled delivery has been processed")
    client = ShopifyAdminClient(shop_domain=store.shop_domain, access_token=store.shopify_admin_access_token)
    try:
        revoked = client.access_revoked()
    except ShopifyAdminApiError as exc:
        raise StoreNotUninstalled(f"store not known to be uninstalled: no app/uninstalled delivery received, and "
                                  f"{exc}") from exc
    if not revoked:
        raise StoreNotUninstalled(
            "store not known to be uninstalled: no app/uninstalled delivery received, and Shopify still accepts "
            "the store's Admin API token (the app is installed)")
    store_record_uninstalled(store=store, at=timezone.now())
    return "app uninstalled: Shopify answered 401 for the store's Admin API token"
