"""An import's life around its run: an upload's full replace previewed before anything is swapped, and the
sweep that fails imports whose worker died.

A full list uploaded from the admin is first read and counted (`dnc_import_preview`) and waits, status
"Awaiting confirmation", with the list's size now and the size the file would leave; an admin confirms or
cancels it (compliance.services.dnc_uploads). The command has no such step: its guard is the swap's refusal
of a replace that removes more than REPLACE_SHRINK_LIMIT_PERCENT of a list unless `--allow-shrink`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from compliance.models import DncImport
from compliance.services.dnc.errors import DncFileInvalid
from compliance.services.dnc.files import dnc_upload_discard
from compliance.services.dnc.formats import ImportCounts
from compliance.services.dnc.imports import dnc_file_validate, dnc_import_run, list_lock_key
from core.exceptions import ApplicationError

logger = logging.getLogger("compliance.services.dnc")

# A running import saves its progress every PROGRESS_SECONDS while it reads, and beats before and after its
# index build; its longest silent step (building the index of a 10M-number national list, then the swap's
# lock retries, about 30 s) is far shorter. Five minutes without a sign of life means its worker is gone.
STALLED_AFTER = timedelta(minutes=5)
STALLED_SWEEP_BATCH = 50  # imports per sweep: a handful at most are ever running; the rest wait a minute


def dnc_import_process(*, import_id: int) -> DncImport:
    """An upload's next step: a full replace nobody confirmed yet is previewed; anything else runs."""
    record = DncImport.objects.get(pk=import_id)
    if record.mode == DncImport.Mode.REPLACE and not record.replace_confirmed:
        return dnc_import_preview(import_id=import_id)
    return dnc_import_run(import_id=import_id)


def dnc_import_preview(*, import_id: int) -> DncImport:
    """Read and count a queued full replace without touching the list, and leave it awaiting confirmation with
    `count_before` (the list's size now) and `count_after` (the numbers the file holds). A file that cannot be
    imported ends the import as failed, as the run would have."""
    record = DncImport.objects.select_related("dnc_list").get(pk=import_id)
    if record.status != DncImport.Status.QUEUED:
        return record
    now = timezone.now()
    running = DncImport.objects.filter(pk=record.pk, status=DncImport.Status.RUNNING)
    DncImport.objects.filter(pk=record.pk).update(status=DncImport.Status.RUNNING, started_at=now, heartbeat_at=now)

    def save(counts: ImportCounts) -> None:
        running.update(**counts.as_fields(), heartbeat_at=timezone.now())

    try:
        if not record.file_path or not Path(record.file_path).is_file():
            raise DncFileInvalid(f"File not found: {record.file_path or '(no path)'}.")
        counts = dnc_file_validate(path=Path(record.file_path), file_format=record.file_format,
                                   on_progress=save).counts
        if not counts.numbers_loaded:
            raise DncFileInvalid("No valid number in the file: refusing to replace the list with an empty one.")
    except Exception as exc:
        if not isinstance(exc, ApplicationError):
            logger.exception("DNC import %s: the preview failed", record.pk)
        error = exc.message if isinstance(exc, ApplicationError) else f"{type(exc).__name__}: {exc}"
        running.update(status=DncImport.Status.FAILED, error=error.replace("\x00", "\\x00"),
                       finished_at=timezone.now())
    else:
        running.update(status=DncImport.Status.AWAITING_CONFIRMATION, count_before=record.dnc_list.entry_count,
                       count_after=counts.numbers_loaded, **counts.as_fields())
    record.refresh_from_db()
    dnc_upload_discard(record=record)
    return record


def dnc_imports_fail_stalled(*, now: datetime | None = None) -> list[int]:
    """Fail the running imports whose heartbeat stopped STALLED_AFTER ago (a worker killed mid-way) and return
    their ids, so nothing shows "running" for ever. An import whose list is still locked by a live run is left
    alone: the lock goes with the dead worker's connection, which is also what rolled its swap back."""
    cutoff = (now or timezone.now()) - STALLED_AFTER
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    candidates = DncImport.objects.filter(stale, status=DncImport.Status.RUNNING).order_by("pk")
    return [pk for pk in candidates.values_list("pk", flat=True)[:STALLED_SWEEP_BATCH] if _fail_if_stalled(pk, cutoff)]


def _fail_if_stalled(pk: int, cutoff: datetime) -> bool:
    with transaction.atomic():
        record = (DncImport.objects.select_for_update(of=("self",), skip_locked=True)
                  .filter(pk=pk, status=DncImport.Status.RUNNING).first())
        last_sign = record and (record.heartbeat_at or record.started_at)
        if record is None or (last_sign and last_sign >= cutoff) or not _list_lock_free(record.dnc_list_id):
            return False
        since = f"{timezone.localtime(last_sign):%H:%M}" if last_sign else "it started"
        record.status = DncImport.Status.FAILED
        record.error = (f"The import's worker stopped (no progress since {since}); nothing was changed, "
                        "upload the file again.")
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
    logger.warning("DNC import %s failed: its worker stopped (last sign of life %s)", pk, since)
    dnc_upload_discard(record=record)
    return True


def _list_lock_free(list_id: int) -> bool:
    """Whether no live import holds the list (taken and released at once)."""
    key = list_lock_key(list_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
    return True
