"""`manage.py import_optouts PATH --scope sms|voice|email|all`: record opt-outs from a file.

The file is a CSV with a `phone` and/or `email` column (and optionally `country`), or
one phone number or email address per line. Every usable line becomes an opt-out,
effective immediately; bad lines are reported with their line numbers and skipped.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.models.choices import OptOutScope
from compliance.services.optout_imports import optouts_import


class Command(BaseCommand):
    help = "Record opt-outs (per channel, or all contact) from a CSV or a list of numbers/addresses."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--scope", required=True, choices=OptOutScope.values)
        parser.add_argument("--evidence", default="", help="Where the list came from (kept with every opt-out)")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; record nothing.")

    def handle(self, *args, path: Path, scope: str, evidence: str, dry_run: bool, verbosity: int, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as lines:
            result = optouts_import(lines=lines, scope=scope, dry_run=dry_run,
                                    evidence=evidence or f"Imported from {path.name}")
        for line_number, reason, content in result.rejected[:1000] if verbosity else []:
            self.stderr.write(f"  line {line_number}: {reason} ({content})")
        if verbosity:
            verb = "would be recorded" if dry_run else "recorded"
            style = self.style.WARNING if result.rejected else self.style.SUCCESS
            self.stdout.write(style(f"{result.recorded} opt-outs {verb} ({scope}); "
                                    f"{len(result.rejected)} lines rejected."))
