"""Background work for compliance: DNC imports queued from the admin's upload page, and the
scrub that re-checks open carts after every import and nightly."""

from __future__ import annotations

from celery import shared_task

from compliance.models import DncImport
from compliance.services.dnc import DncImportBusy, dnc_import_run
from compliance.services.scrub import carts_scrub

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
    if record.status == DncImport.Status.DONE:
        scrub_open_carts_task.delay()
    return record.status


@shared_task
def scrub_open_carts_task() -> int:
    """Suppress open carts nobody may contact any more (after each import, and nightly)."""
    return len(carts_scrub().suppressed)
