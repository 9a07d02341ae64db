"""Where uploaded DNC files wait for their import, and their removal once the import has ended.

An uploaded registry file is personal data (millions of phone numbers) with no use once its import is done,
failed or cancelled: the list holds the numbers and the rejected-lines report (kept) the bad lines. A file
given to `manage.py import_dnc` belongs to whoever ran it and is never removed here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from compliance.models import DncImport

logger = logging.getLogger("compliance.services.dnc")


def upload_dir() -> Path:
    """var/dnc-uploads/ unless settings.DNC_UPLOADS_DIR says otherwise (the tests keep theirs apart)."""
    path = Path(getattr(settings, "DNC_UPLOADS_DIR", None) or Path(settings.BASE_DIR) / "var" / "dnc-uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def dnc_upload_discard(*, record: DncImport) -> bool:
    """Delete an ended import's uploaded file (only a file in the upload directory) and say whether one went."""
    if record.status not in DncImport.ENDED or not record.file_path:
        return False
    path = Path(record.file_path)
    if path.resolve().parent != upload_dir().resolve():
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    logger.info("DNC import %s: uploaded file %s deleted", record.pk, path.name)
    return True
