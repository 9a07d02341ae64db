"""DNC files uploaded by admins: kept on disk, imported by a Celery worker."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from compliance.models import DncImport
from compliance.services.dnc import dnc_import_create, dnc_list_get_or_create

UPLOAD_CHUNK_BYTES = 1024 * 1024


def upload_dir() -> Path:
    path = Path(settings.BASE_DIR) / "var" / "dnc-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def dnc_upload_queue(*, uploaded_file, list_name: str, mode: str, file_format: str, requested_by) -> DncImport:
    """Save the upload in chunks (never whole in memory) and queue its import."""
    from compliance.tasks import import_dnc_file_task

    dnc_list, _ = dnc_list_get_or_create(name=list_name)
    target = upload_dir() / f"{uuid.uuid4().hex}-{Path(uploaded_file.name).name[-100:]}"
    with target.open("wb") as out:
        for chunk in uploaded_file.chunks(UPLOAD_CHUNK_BYTES):
            out.write(chunk)
    record = dnc_import_create(dnc_list=dnc_list, path=target, mode=mode, file_format=file_format,
                               requested_by=requested_by)
    record.file_name = Path(uploaded_file.name).name[:255]
    record.save(update_fields=["file_name"])
    transaction.on_commit(lambda: import_dnc_file_task.delay(record.pk))
    return record
