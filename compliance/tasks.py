"""Background work for compliance: DNC imports queued from the admin's upload page (each finished one announced,
so that recovery re-checks its open carts) and the nightly retention purge. Recovery owns the carts and the stores:
the scrub of open carts and a store's erasure (Shopify's `shop/redact`) are its tasks (`recovery.tasks`)."""

from __future__ import annotations

from celery import shared_task

from compliance.models import DncImport
from compliance.services.dnc import DncImportBusy, dnc_import_process, dnc_imports_fail_stalled
from compliance.services.erasure import retention_purge
from compliance.services.scrub import lists_changed_announce

# Another import of the same list holds it: wait for it rather than fail (a national list takes a minute or two).
BUSY_RETRY_SECONDS = 60
BUSY_MAX_RETRIES = 30


@shared_task(bind=True, max_retries=BUSY_MAX_RETRIES)
def import_dnc_file_task(self, import_id: int) -> str:
    """Take one queued DncImport a step further and return its status: an upload's unconfirmed full list is read
    and counted and waits for an admin's confirmation; anything else runs to its end.

    A failed import is recorded on the row (status failed, error) and not retried: the same file would
    fail the same way. A redelivered task finds the row done or failed and returns without work.
    """
    try:
        record = dnc_import_process(import_id=import_id)
    except DncImportBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from None
    if record.status == DncImport.Status.DONE:
        lists_changed_announce()  # recovery queues its scrub of the open carts
    return record.status


@shared_task
def fail_stalled_dnc_imports_task() -> list[int]:
    """Every minute: fail the DNC imports whose worker died (no heartbeat for STALLED_AFTER), at most
    STALLED_SWEEP_BATCH (50) a run, so no import shows "running" for ever; returns their ids."""
    return dnc_imports_fail_stalled()


@shared_task
def purge_closed_carts_task() -> dict[str, int]:
    """Nightly: purge the personal data of carts closed more than RETENTION_DAYS ago (legal records held)."""
    return retention_purge().counts
