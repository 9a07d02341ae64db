"""Background work for compliance: DNC file imports queued from the admin's upload page."""

from __future__ import annotations

from celery import shared_task

from compliance.services.dnc import DncImportBusy, dnc_import_run

# Another import of the same list holds it: wait for it rather than fail (a national list takes a minute or two).
BUSY_RETRY_SECONDS = 60
BUSY_MAX_RETRIES = 30


@shared_task(bind=True, max_retries=BUSY_MAX_RETRIES)
def import_dnc_file_task(self, import_id: int) -> str:
    """Run one queued DncImport and return its final status.

    A failed import is recorded on the row (status failed, error) and not retried: the same file would
    fail the same way. A redelivered task finds the row done or failed and returns without work.
    """
    try:
        record = dnc_import_run(import_id=import_id)
    except DncImportBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from None
    return record.status
