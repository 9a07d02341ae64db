"""`manage.py import_dnc`: load a Do-Not-Call file into a list.

A full list (`--replace`) is loaded beside the live one and swapped in atomically; a change list
(`--delta add` or `--delta remove`) adds or deletes its numbers. The file is streamed, never read into
memory whole. Bad lines are reported with their line numbers and never stop the good ones; the full
report goes to var/dnc-reports/import-<id>.csv. An import that fails or is interrupted leaves the list
as it was. A full list that would remove more than 20% of the list is refused, the list unchanged, unless
`--allow-shrink` says that is intended (a truncated file must not make numbers callable); `--dry-run` shows the
list's size before and after. A file that is not text (UTF-16, binary) fails at its first NUL byte.
Uploads from the admin run the same import through `compliance.tasks.import_dnc_file_task`.

Formats: ftc (the FTC registry: ten digits or `NPA,NXXXXXX` per line), e164 (`+` and digits), csv (a
header row naming a `phone` column and, optionally, a `country` one), tps (UK TPS/CTPS: national format
with the leading 0). A list that does not exist yet is created for the names national, internal,
state-XX, uk-tps and uk-ctps.

    manage.py import_dnc 2026-11-national.txt --list national --replace
    manage.py import_dnc 2026-11-national.txt --list national --replace --allow-shrink
    manage.py import_dnc 2026-11-24-additions.txt --list national --delta add
    manage.py import_dnc tps.txt --list uk-tps --replace --dry-run
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.models import DncImport, DncList
from compliance.services.dnc import (
    FILE_FORMATS,
    DncFileInvalid,
    DncImportBusy,
    DncListUnknown,
    ImportCounts,
    Rejection,
    dnc_default_format,
    dnc_file_validate,
    dnc_import_create,
    dnc_import_run,
    dnc_list_get_or_create,
    rejected_report_path,
    replace_removes_too_much,
    replace_shrink_percent,
)
from compliance.services.dnc.swap import REPLACE_SHRINK_LIMIT_PERCENT
from compliance.services.scrub import lists_changed_announce

SHOWN_REJECTIONS = 20  # at verbosity 1; verbosity 2 shows the first 10,000


class Command(BaseCommand):
    help = "Import a DNC file into a list: a full list (--replace) or a change list (--delta add|remove)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The file to import.")
        parser.add_argument("--list", dest="list_name", required=True, metavar="NAME",
                            help="The list: national, internal, state-XX, uk-tps, uk-ctps, or any existing list.")
        parser.add_argument("--format", dest="file_format", choices=FILE_FORMATS,
                            help="The file's format (default: tps for the UK lists, ftc for the others).")
        parser.add_argument("--replace", action="store_true", help="The file is the whole list: replace it.")
        parser.add_argument("--delta", choices=("add", "remove"),
                            help="The file is a change list: add its numbers, or remove them.")
        parser.add_argument("--allow-shrink", action="store_true",
                            help="With --replace: apply the file even if it removes more than 20%% of the list.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Read and check the file, report what would be imported, change nothing.")

    def handle(self, *args, **options) -> None:
        self.verbosity = options["verbosity"]
        self._next_percent = 0
        mode = self._mode(options["replace"], options["delta"])
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            dnc_list, new = dnc_list_get_or_create(name=options["list_name"], create=not options["dry_run"])
        except DncListUnknown as exc:
            raise CommandError(exc.message) from None
        file_format = options["file_format"] or dnc_default_format(list_kind=dnc_list.kind)
        if new and self.verbosity:
            verb = "would be created" if options["dry_run"] else "created"
            self.stdout.write(f"List {dnc_list.name} ({dnc_list.get_kind_display()}) {verb}.")
        if options["dry_run"]:
            self._dry_run(path, file_format, dnc_list if mode == DncImport.Mode.REPLACE else None)
        else:
            self._import(dnc_list, path, mode, file_format, allow_shrink=options["allow_shrink"])

    def _mode(self, replace: bool, delta: str | None) -> str:
        if replace and delta:
            raise CommandError("--replace and --delta exclude each other: a file is a full list or a change list.")
        if not replace and not delta:
            raise CommandError("Say what the file is: --replace for a full list, --delta add|remove for a change list.")
        return DncImport.Mode.REPLACE if replace else delta

    def _dry_run(self, path: Path, file_format: str, replaced: DncList | None) -> None:
        try:
            check = dnc_file_validate(path=path, file_format=file_format, on_progress=self._progress)
        except DncFileInvalid as exc:
            raise CommandError(exc.message) from None
        counts = check.counts
        self._print_rejections(check.rejections, counts.lines_rejected, report=None)
        if self.verbosity:
            self.stdout.write(self.style.SUCCESS(
                f"Dry run ({file_format}): {counts.lines_read:,} lines, {counts.numbers_loaded:,} numbers would be "
                f"imported, {counts.lines_rejected:,} lines rejected. Nothing was changed."
            ))
        if replaced is not None and self.verbosity:
            before, after = replaced.entry_count, counts.numbers_loaded
            line = f"The list {replaced.name} has {before:,} numbers; this file would leave {after:,}."
            if replace_removes_too_much(count_before=before, count_after=after):
                self.stdout.write(self.style.WARNING(
                    f"{line} It removes {replace_shrink_percent(count_before=before, count_after=after)}% of "
                    "the list: the import would need --allow-shrink."))
            else:
                self.stdout.write(line)

    def _import(self, dnc_list: DncList, path: Path, mode: str, file_format: str, *, allow_shrink: bool) -> None:
        record = dnc_import_create(dnc_list=dnc_list, path=path, mode=mode, file_format=file_format,
                                   replace_confirmed=allow_shrink)
        if self.verbosity:
            self.stdout.write(f"Import #{record.pk}: {path.name} into {dnc_list.name} ({record.get_mode_display()}, "
                              f"{file_format}), {record.bytes_total:,} bytes.")
        try:
            record = dnc_import_run(import_id=record.pk, on_progress=self._progress)
        except DncImportBusy as exc:
            raise CommandError(f"{exc.message} Import #{record.pk} stays queued.") from None
        dnc_list.refresh_from_db()
        self._refuse_shrink(record, dnc_list)
        if record.status != DncImport.Status.DONE:
            raise CommandError(f"Import #{record.pk} failed: {record.error} "
                               f"The list {dnc_list.name} is unchanged (version {dnc_list.version}).")
        self._print_rejections(_parse_report(record.rejected_report), record.lines_rejected,
                               report=rejected_report_path(record))
        self._queue_scrub()
        if self.verbosity:
            seconds = (record.finished_at - record.started_at).total_seconds()
            self.stdout.write(self.style.SUCCESS(
                f"Imported {record.numbers_loaded:,} numbers from {record.lines_read:,} lines in {seconds:.1f} s, "
                f"{record.lines_rejected:,} lines rejected. {dnc_list.name} is now version {dnc_list.version} "
                f"with {dnc_list.entry_count:,} entries."
            ))
            if record.count_before is not None:
                self.stdout.write(f"Full replace: {record.count_before:,} numbers before, "
                                  f"{record.count_after:,} after.")

    def _refuse_shrink(self, record: DncImport, dnc_list: DncList) -> None:
        """The swap refused a replace that removes too much: say so with the counts and the flag that allows it."""
        before, after = record.count_before, record.count_after
        if record.status == DncImport.Status.DONE or before is None or after is None:
            return
        if replace_removes_too_much(count_before=before, count_after=after):
            raise CommandError(
                f"Import #{record.pk} refused: the file would leave {dnc_list.name} with {after:,} numbers instead of "
                f"{before:,} (removes {replace_shrink_percent(count_before=before, count_after=after)}%, more than "
                f"{REPLACE_SHRINK_LIMIT_PERCENT}%). The list is unchanged (version {dnc_list.version}); run "
                "again with --allow-shrink if the file really is the whole list.")

    def _queue_scrub(self) -> None:
        """Re-check open carts against the new list (in the worker, so a big scrub does not hold the shell)."""
        try:
            lists_changed_announce()  # recovery queues its scrub of the open carts
        except Exception:  # no broker reachable from this shell: say how to do it by hand
            self.stderr.write(self.style.WARNING("Could not queue the cart scrub; run `manage.py scrub_carts`."))

    def _progress(self, counts: ImportCounts) -> None:
        """One line per 10% of the file read (every update at verbosity 2)."""
        if not self.verbosity or not counts.bytes_total:
            return
        percent = counts.bytes_read * 100 // counts.bytes_total
        if self.verbosity < 2 and percent < self._next_percent:
            return
        self._next_percent = (percent // 10 + 1) * 10
        self.stdout.write(f"  {percent:3d}%  {counts.lines_read:,} lines read, {counts.numbers_loaded:,} numbers, "
                          f"{counts.lines_rejected:,} rejected")

    def _print_rejections(self, rejections: list[Rejection], total: int, *, report: Path | None) -> None:
        if not total or not self.verbosity:
            return
        shown = rejections if self.verbosity >= 2 else rejections[:SHOWN_REJECTIONS]
        where = f"; all of them are in {report}" if report else ""
        self.stdout.write(self.style.WARNING(f"{total:,} lines rejected (showing {len(shown):,}{where}):"))
        for rejection in shown:
            self.stdout.write(f"  line {rejection.line_no}: {rejection.reason}: {rejection.content!r}")


def _parse_report(text: str) -> list[Rejection]:
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return [Rejection(int(line_no), reason, content) for line_no, reason, content in rows]
