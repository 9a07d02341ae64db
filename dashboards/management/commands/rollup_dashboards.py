"""Rebuild the dashboard's daily roll-ups: a backfill after an import, or a check after editing old data."""

import time

from django.core.management.base import BaseCommand, CommandError

from dashboards.rollups import rollups_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's daily roll-ups for the last N days to today (default: every day with data)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Only the last N days, today included.")

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        started = time.monotonic()
        built = rollups_refresh(days=days)
        self.stdout.write(f"Rebuilt the roll-ups of {built} day{'s' if built != 1 else ''} "
                          f"in {time.monotonic() - started:.1f} s.")
