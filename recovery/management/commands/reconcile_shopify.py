"""Read Shopify's abandoned checkouts now and ingest those no webhook brought (beat does it every 15 minutes).

For an operator after an outage longer than Shopify's 4 hours of webhook retries, or to check one store:
`manage.py reconcile_shopify --store demo-store.myshopify.com --since 2026-11-20T08:00:00Z --dry-run`.
Without `--since` each store's scheduled window is read (from its watermark, less 10 minutes).
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recovery.models import Platform, Store
from recovery.services.shopify_reconciliation import (
    ReconciliationResult,
    ShopifyAdminApiError,
    reconcilable_store_ids,
    store_reconcile,
)


class Command(BaseCommand):
    help = "Ingest the Shopify abandoned checkouts that no webhook brought, read from the Admin GraphQL API."

    def add_arguments(self, parser):
        parser.add_argument("--store", metavar="DOMAIN", help="Only this shop domain (e.g. name.myshopify.com).")
        parser.add_argument("--since", metavar="ISO", help="Read checkouts updated from this time (ISO 8601, with "
                                                           "an offset; default: each store's scheduled window).")
        parser.add_argument("--dry-run", action="store_true", help="Read and report; store nothing.")

    def handle(self, *args, store=None, since=None, dry_run=False, **options):
        since_at = _parse_since(since)
        stores = self._stores(store)
        if not stores and options["verbosity"]:
            self.stdout.write("No active Shopify store has an Admin API access token: nothing to reconcile.")
        failed = 0
        for target in stores:
            try:
                result = store_reconcile(store=target, since=since_at, dry_run=dry_run)
            except ShopifyAdminApiError as exc:
                failed += 1
                self.stderr.write(self.style.ERROR(str(exc)))  # it names the shop
                continue
            if options["verbosity"]:
                style = self.style.WARNING if result.busy else self.style.SUCCESS
                self.stdout.write(style(_summary(result, dry_run=dry_run)))
        if failed:
            raise CommandError(f"{failed} of {len(stores)} store{'s' if len(stores) != 1 else ''} failed.")

    def _stores(self, domain: str | None) -> list[Store]:
        if domain is None:
            return list(Store.objects.filter(pk__in=reconcilable_store_ids()).order_by("pk"))
        store = Store.objects.filter(shop_domain=domain.strip().lower()).first()
        if store is None or store.platform != Platform.SHOPIFY:
            raise CommandError(f"No Shopify store has the domain {domain!r}.")
        if not store.shopify_admin_access_token:
            raise CommandError(f"{store.shop_domain} has no Shopify Admin API access token (set it in the admin).")
        return [store]


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value.replace("Z", "+00:00"))
    if parsed is None or timezone.is_naive(parsed):
        raise CommandError(f"--since must be an ISO 8601 time with an offset (e.g. 2026-11-20T08:00:00Z): {value!r}.")
    if parsed > timezone.now():
        raise CommandError("--since is in the future.")
    return parsed


def _summary(result: ReconciliationResult, *, dry_run: bool) -> str:
    if result.busy:
        return f"{result.shop_domain}: skipped, another reconciliation of this store is running."
    counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(result.outcomes.items())) or "no checkouts"
    window = f"{result.since:%Y-%m-%d %H:%M:%S%z} to {result.until:%Y-%m-%d %H:%M:%S%z}"
    watermark = " (dry run: nothing stored)" if dry_run else (
        "" if result.watermark_advanced else " (watermark not moved: the window starts after it)")
    return f"{result.shop_domain}: {counts}, updated {window}{watermark}."
