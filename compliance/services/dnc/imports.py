"""Imports from files: DncImport records, the run (its progress and rejected-lines report), dry runs."""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

from compliance.models import DncImport, DncList
from compliance.services.dnc.errors import DncFileInvalid, DncImportBusy
from compliance.services.dnc.files import dnc_upload_discard
from compliance.services.dnc.formats import FILE_FORMATS, ImportCounts, Rejection, iter_copy_rows
from compliance.services.dnc.swap import apply_change_list, replace_list, replace_removes_too_much
from compliance.services.trail import Actor, audit_record
from core.csv_download import csv_writer
from core.exceptions import ApplicationError

logger = logging.getLogger("compliance.services.dnc")  # the package's name: log lines read as before the split

REPORT_HEADER = ("line_no", "reason", "content")
REPORT_KEPT_LINES = 10_000  # rejected lines kept in DncImport.rejected_report; the file has them all
PROGRESS_SECONDS = 0.5


def rejected_report_path(import_record: DncImport) -> Path:
    """Where the full rejected-lines report (CSV: line_no, reason, content) of an import is written:
    var/dnc-reports/ unless settings.DNC_REPORTS_DIR says otherwise (the benchmark and the tests, whose
    databases number their imports from 1 too, must not overwrite the development database's reports)."""
    directory = getattr(settings, "DNC_REPORTS_DIR", None) or Path(settings.BASE_DIR) / "var" / "dnc-reports"
    return Path(directory) / f"import-{import_record.pk}.csv"


def dnc_import_create(
    *, dnc_list: DncList, path: Path, mode: str, file_format: str, requested_by: Any = None,
    replace_confirmed: bool = False,
) -> DncImport:
    """Record an import of a file already on disk (the command's PATH, or an upload); run it with
    dnc_import_run, directly or through import_dnc_file_task. `replace_confirmed` lets a full replace remove more
    than 20% of the list (the command's --allow-shrink; an upload once an admin confirmed its preview)."""
    if file_format not in FILE_FORMATS:
        raise DncFileInvalid(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")
    path = Path(path).resolve()
    record = DncImport(
        dnc_list=dnc_list, mode=mode, file_format=file_format, file_name=path.name[:255], file_path=str(path),
        bytes_total=path.stat().st_size if path.is_file() else 0, requested_by=requested_by,
        replace_confirmed=replace_confirmed,
    )
    record.full_clean()
    record.save()
    return record


class _RejectReport:
    """Every rejected line into a CSV file (when given a path), the first 10,000 also kept in memory."""

    def __init__(self, path: Path | None):
        self.kept: list[Rejection] = []
        self._file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", newline="", encoding="utf-8")
            self._writer = csv_writer(self._file, lineterminator="\n")
            self._writer.writerow(REPORT_HEADER)

    def add(self, rejection: Rejection) -> None:
        if len(self.kept) < REPORT_KEPT_LINES:
            self.kept.append(rejection)
        if self._file is not None:
            self._writer.writerow((rejection.line_no, rejection.reason, rejection.content))

    def text(self) -> str:
        if not self.kept:
            return ""
        buffer = io.StringIO()
        writer = csv_writer(buffer, lineterminator="\n")
        writer.writerow(REPORT_HEADER)
        writer.writerows((r.line_no, r.reason, r.content) for r in self.kept)
        return buffer.getvalue()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


ProgressCallback = Callable[[ImportCounts], None]


@dataclass
class _Progress:
    """Calls `save` (and the caller's `on_progress`) at most every PROGRESS_SECONDS while a file is read."""

    counts: ImportCounts
    save: Callable[[ImportCounts], None] | None = None
    on_progress: ProgressCallback | None = None
    _last: float = field(default_factory=time.monotonic)

    def tick(self, bytes_read: int) -> None:
        self.counts.bytes_read = bytes_read
        if time.monotonic() - self._last >= PROGRESS_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        if self.save:
            self.save(self.counts)
        if self.on_progress:
            self.on_progress(self.counts)


@dataclass(frozen=True)
class DncFileCheck:
    """What a dry run found: the counts, and the first 10,000 rejected lines."""

    counts: ImportCounts
    rejections: list[Rejection]


def dnc_file_validate(*, path: Path, file_format: str, on_progress: ProgressCallback | None = None) -> DncFileCheck:
    """Read and normalise a file exactly as an import would, without touching the database (--dry-run)."""
    if file_format not in FILE_FORMATS:
        raise DncFileInvalid(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")
    counts = ImportCounts(bytes_total=path.stat().st_size)
    report = _RejectReport(None)
    progress = _Progress(counts, on_progress=on_progress)
    with path.open("rb") as stream:
        for _rows in iter_copy_rows(stream, file_format=file_format, list_id=0, counts=counts, on_reject=report.add):
            progress.tick(stream.tell())
        progress.tick(stream.tell())
    progress.flush()
    return DncFileCheck(counts=counts, rejections=report.kept)


class ImportRun:
    """One running import: its counters, progress written through Django, and its rejected-lines report."""

    def __init__(self, record: DncImport, on_progress: ProgressCallback | None):
        self.record = record
        self.list_id = record.dnc_list_id
        self.count_before: int | None = None  # a full replace's list size before and after, set by the swap
        self.count_after: int | None = None
        self.counts = ImportCounts(bytes_total=os.path.getsize(record.file_path))
        self.progress = _Progress(self.counts, save=self._save, on_progress=on_progress)
        self.report = _RejectReport(rejected_report_path(record))

    def _save(self, counts: ImportCounts) -> None:
        DncImport.objects.filter(pk=self.record.pk).update(**counts.as_fields(), heartbeat_at=timezone.now())

    def beat(self) -> None:
        """A sign of life between progress saves (the sweep fails imports whose heartbeat stopped)."""
        DncImport.objects.filter(pk=self.record.pk).update(heartbeat_at=timezone.now())

    def start(self) -> None:
        now = timezone.now()
        DncImport.objects.filter(pk=self.record.pk).update(
            status=DncImport.Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, error="",
            rejected_report="", count_before=None, count_after=None, **self.counts.as_fields(),
        )

    def copy_into(self, pg: psycopg.Connection, table: str, *, freeze: bool) -> None:
        """Stream the file into `table` with one COPY; progress is saved as the file is read."""
        options = " (FREEZE)" if freeze else ""
        with open(self.record.file_path, "rb") as stream, pg.cursor() as cursor:
            with cursor.copy(f"COPY {table} (dnc_list_id, phone) FROM STDIN{options}") as copy:
                rows = iter_copy_rows(
                    stream, file_format=self.record.file_format, list_id=self.list_id, counts=self.counts,
                    on_reject=self.report.add,
                )
                for block in rows:
                    _copy_write(copy, block)
                    self.progress.tick(stream.tell())
            self.progress.tick(stream.tell())
        self.progress.flush()
        self.report.close()  # complete on disk before the import can show as done

    def finish(self, cursor: Any, *, entry_count: int | None = None, delta: int = 0) -> None:
        """In the transaction that changes the list: bump its version and mark the import done."""
        now = timezone.now()
        full = self.record.mode == DncImport.Mode.REPLACE
        cursor.execute(
            # B608: the table name comes from the model.
            f"UPDATE {DncList._meta.db_table} SET version = version + 1, "  # nosec B608
            "entry_count = COALESCE(%s, GREATEST(entry_count + %s, 0)), last_import_at = %s, "
            "last_full_import_at = CASE WHEN %s THEN %s ELSE last_full_import_at END WHERE id = %s RETURNING version",
            [entry_count, delta, now, full, now, self.list_id],
        )
        version = cursor.fetchone()[0]
        fields = {**self.counts.as_fields(), "rejected_report": self.report.text(), "version_after": version,
                  "count_before": self.count_before, "count_after": self.count_after}
        assignments = ", ".join(f"{name} = %s" for name in fields)
        cursor.execute(
            # B608: table and column names come from the model.
            f"UPDATE {DncImport._meta.db_table} SET {assignments}, status = %s, error = '', finished_at = %s "  # nosec B608
            "WHERE id = %s",
            [*fields.values(), DncImport.Status.DONE, now, self.record.pk],
        )

    def fail(self, error: str) -> None:
        """Record the failure. It must never fail itself (the import would show "running" for ever): the
        error loses any NUL (PostgreSQL's text refuses them) and, if the report cannot be saved, it is left out."""
        fields = {"status": DncImport.Status.FAILED, "error": error.replace("\x00", "\\x00"),
                  "finished_at": timezone.now(), "count_before": self.count_before, "count_after": self.count_after,
                  **self.counts.as_fields()}
        try:
            DncImport.objects.filter(pk=self.record.pk).update(rejected_report=self.report.text(), **fields)
        except Exception:
            logger.exception("DNC import %s: its rejected lines could not be saved", self.record.pk)
            DncImport.objects.filter(pk=self.record.pk).update(**fields)


def _copy_write(copy: psycopg.Copy, block: bytes) -> None:
    """One block of rows into the COPY (a seam for the tests, which make it fail midway)."""
    copy.write(block)


def _import_connection() -> psycopg.Connection:
    """A connection of the import's own, with Django's settings: the long COPY transaction lives here,
    so the progress written through Django's connection is committed, and visible, as it goes."""
    params = {**connection.get_connection_params(), "autocommit": True}
    params.setdefault("application_name", "dnc_import")
    pg = psycopg.connect(**params)
    pg.execute("SET statement_timeout = 0")  # a national list's COPY takes minutes; web-request limits don't apply
    return pg


def list_lock_key(list_id: int) -> str:
    """The advisory lock a running import of the list holds (the stalled-import sweep tests it too)."""
    return f"compliance.dnc_import.{list_id}"


def _lock_list(pg: psycopg.Connection, record: DncImport) -> None:
    """One import per list at a time. A session lock: it goes with the connection if the process dies."""
    key = list_lock_key(record.dnc_list_id)
    if not pg.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key]).fetchone()[0]:
        raise DncImportBusy(f"Another import of the list {record.dnc_list.name!r} is running.")


def dnc_import_run(*, import_id: int, on_progress: ProgressCallback | None = None) -> DncImport:
    """Run a queued import to its end and return the record, status done or failed (with `error`).

    A failed import changes nothing in the list. An import already done or failed is returned as it is
    (a redelivered task); one left "running" by a dead worker runs again. Raises DncImportBusy while
    another import of the same list runs. Must be called outside a transaction: the import commits on a
    connection of its own, which would not see rows this one has not committed.
    """
    if connection.in_atomic_block:
        raise RuntimeError("dnc_import_run commits on its own connection; call it outside transaction.atomic().")
    record = DncImport.objects.select_related("dnc_list").get(pk=import_id)
    if record.status in (*DncImport.ENDED, DncImport.Status.AWAITING_CONFIRMATION):
        return record
    try:
        with _import_connection() as pg:
            _lock_list(pg, record)
            _run(pg, record, on_progress)
    finally:
        record.refresh_from_db()
        dnc_upload_discard(record=record)  # an upload's file goes once the import ended, however it ended
    if record.mode == DncImport.Mode.REPLACE and record.count_before is not None:
        _audit_replace(record)
    return record


def _audit_replace(record: DncImport) -> None:
    """Every full replace, applied or refused, goes into the audit trail with the list's size before and after."""
    user = record.requested_by
    actor = Actor(user.pk, user.get_username()) if user else Actor(None, "system:import_dnc")
    if record.status == DncImport.Status.DONE:
        verb = "Replaced"
    elif not record.replace_confirmed and replace_removes_too_much(count_before=record.count_before,
                                                                   count_after=record.count_after):
        verb = "Refused to replace"
    else:
        verb = "Failed to replace"
    audit_record(
        action="imported", subject_type="DNC list", subject_id=record.dnc_list_id, actor=actor,
        summary=f"{verb} the list {record.dnc_list.name} from {record.file_name} (import {record.pk}): "
                f"{record.count_before:,} numbers before, {record.count_after:,} after",
        changes={"entry_count" if record.status == DncImport.Status.DONE else "entry_count (not applied)":
                 (record.count_before, record.count_after)},
    )


def _run(pg: psycopg.Connection, record: DncImport, on_progress: ProgressCallback | None) -> None:
    if not record.file_path or not Path(record.file_path).is_file():
        DncImport.objects.filter(pk=record.pk).update(
            status=DncImport.Status.FAILED, error=f"File not found: {record.file_path or '(no path)'}.",
            finished_at=timezone.now(),
        )
        return
    run = ImportRun(record, on_progress)
    run.start()
    logger.info("DNC import %s into %s (%s) started", record.pk, record.dnc_list.name, record.mode)
    try:
        (replace_list if record.mode == DncImport.Mode.REPLACE else apply_change_list)(pg, run)
        logger.info("DNC import %s done: %s numbers, %s lines rejected", record.pk, run.counts.numbers_loaded,
                    run.counts.lines_rejected)
    except ApplicationError as exc:
        run.fail(exc.message)
    except Exception as exc:
        logger.exception("DNC import %s failed", record.pk)
        run.fail(f"{type(exc).__name__}: {exc}")
    except BaseException:
        run.fail("Interrupted.")
        raise
    finally:
        run.report.close()
