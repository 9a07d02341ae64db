"""DNC files uploaded by admins: kept on disk, imported by a Celery worker; a full list waits for an admin's
confirmation (the list's size before and after shown) before it replaces anything. The file is deleted once the
import ends, however it ends."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from compliance.models import DncImport
from compliance.services.dnc import (
    DncImportNotAwaiting,
    dnc_import_create,
    dnc_list_get_or_create,
    dnc_upload_discard,
    upload_dir,
)
from compliance.tasks import import_dnc_file_task

UPLOAD_CHUNK_BYTES = 1024 * 1024

__all__ = ["dnc_import_cancel", "dnc_import_confirm", "dnc_upload_queue", "upload_dir"]


def _queue(import_id: int) -> None:
    transaction.on_commit(lambda: import_dnc_file_task.delay(import_id))


@transaction.atomic
def dnc_upload_queue(*, uploaded_file, list_name: str, mode: str, file_format: str, requested_by) -> DncImport:
    """Save the upload in chunks (never whole in memory) and queue its import."""
    dnc_list, _ = dnc_list_get_or_create(name=list_name)
    target = upload_dir() / f"{uuid.uuid4().hex}-{Path(uploaded_file.name).name[-100:]}"
    with target.open("wb") as out:
        for chunk in uploaded_file.chunks(UPLOAD_CHUNK_BYTES):
            out.write(chunk)
    record = dnc_import_create(dnc_list=dnc_list, path=target, mode=mode, file_format=file_format,
                               requested_by=requested_by)
    record.file_name = Path(uploaded_file.name).name[:255]
    record.save(update_fields=["file_name"])
    _queue(record.pk)
    return record


def _awaiting(import_id: int) -> DncImport:
    record = DncImport.objects.select_for_update(of=("self",)).select_related("dnc_list").get(pk=import_id)
    if record.status != DncImport.Status.AWAITING_CONFIRMATION:
        raise DncImportNotAwaiting()
    return record


@transaction.atomic
def dnc_import_confirm(*, import_id: int) -> DncImport:
    """An admin saw the list's size before and after and confirms the full replace: it is queued to run, and may
    remove more than 20% of the list. The change of status is in the audit trail, with the admin's name."""
    record = _awaiting(import_id)
    record.replace_confirmed = True
    record.status = DncImport.Status.QUEUED
    record.save(update_fields=["replace_confirmed", "status"])
    _queue(record.pk)
    return record


@transaction.atomic
def dnc_import_cancel(*, import_id: int) -> DncImport:
    """An admin declines a previewed full replace: the list stays as it is and the uploaded file is deleted."""
    record = _awaiting(import_id)
    record.status = DncImport.Status.CANCELLED
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "finished_at"])
    transaction.on_commit(lambda: dnc_upload_discard(record=record))
    return record
