"""Erase one customer's personal data in one store, for requests that arrive by other routes than Shopify's
`customers/redact` webhook (email, phone, a WooCommerce or custom store's own process).

    manage.py erase_customer --store DOMAIN (--email E | --phone P | --customer-id ID) [--suppress] [--dry-run]

`--suppress` keeps the person uncontactable even without an opt-out on record (they asked to be erased to stop
contact); `--dry-run` reports what would be erased and rolls everything back. Running it twice is harmless:
the second run finds nothing left.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from compliance.models import PrivacyRequest
from compliance.services.erasure import customer_erase
from compliance.services.erasure.requests import normalized_phone
from recovery.models import Store


class _DryRun(Exception):
    def __init__(self, request: PrivacyRequest) -> None:
        self.request = request


class Command(BaseCommand):
    help = "Erase a customer's personal data in one store, keeping the records the law requires and a suppression."

    def add_arguments(self, parser):
        parser.add_argument("--store", required=True, help="The store's shop domain, e.g. demo-store.myshopify.com")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--phone", help="E.164, or national in the default region")
        who.add_argument("--customer-id", help="The store's own customer id")
        parser.add_argument("--suppress", action="store_true", help="Never contact this person again.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be erased; change nothing.")

    def handle(self, *args, store: str, email: str | None, phone: str | None, customer_id: str | None,
               suppress: bool, dry_run: bool, verbosity: int, **options):
        found = Store.objects.filter(shop_domain=store.strip().lower()).first()
        if found is None:
            raise CommandError(f"No store with the shop domain {store!r}.")
        if phone and not normalized_phone(phone):
            raise CommandError(f"{phone!r} is not a valid phone number (use E.164, e.g. +12125550142).")
        try:
            with transaction.atomic():
                request = customer_erase(store=found, source=PrivacyRequest.Source.COMMAND,
                                         requested_by="command:erase_customer", email=email or "",
                                         phone=phone or "", customer_id=customer_id or "", suppress=suppress)
                if dry_run:
                    raise _DryRun(request)
        except _DryRun as rolled_back:
            request = rolled_back.request
        self._report(request, dry_run=dry_run, verbosity=verbosity)

    def _report(self, request: PrivacyRequest, *, dry_run: bool, verbosity: int) -> None:
        if not verbosity:
            return
        verb = "would be" if dry_run else "were"
        if verbosity >= 2:
            for name, count in request.counts.items():
                self.stdout.write(f"  {name}: {count}")
        if not request.counts:
            self.stdout.write(self.style.WARNING("Nothing to erase: no data of that customer in the store."))
            return
        total = sum(request.counts.values())
        label = "" if dry_run else f" (privacy request {request.pk})"
        self.stdout.write(self.style.SUCCESS(f"{total} rows {verb} erased or held{label}: "
                                             + ", ".join(f"{name} {count}" for name, count in request.counts.items())))
