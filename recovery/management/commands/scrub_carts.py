"""Re-check every open cart against the current DNC lists and opt-outs.

Carts whose customer no channel may ever reach are suppressed, with the reasons
kept on the cart and in its history. Runs nightly (Celery beat) and after every
DNC import; safe to run at any time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from recovery.services.scrub import SCRUB_BATCH_SIZE, carts_scrub


class Command(BaseCommand):
    help = "Suppress open carts whose customer may not be contacted on any channel."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be suppressed; change nothing.")
        parser.add_argument("--batch-size", type=int, default=SCRUB_BATCH_SIZE)

    def handle(self, *args, dry_run: bool, batch_size: int, verbosity: int, **options):
        result = carts_scrub(dry_run=dry_run, batch_size=batch_size)
        verb = "would be suppressed" if dry_run else "suppressed"
        if verbosity >= 2:
            for cart_id in result.suppressed:
                self.stdout.write(f"  cart {cart_id} {verb}")
        if verbosity:
            style = self.style.WARNING if result.suppressed else self.style.SUCCESS
            self.stdout.write(style(f"Checked {result.checked} open carts; {len(result.suppressed)} {verb}."))
