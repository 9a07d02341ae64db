"""Background work for the work queue."""

from __future__ import annotations

from celery import shared_task

from agents.services import call_retries_release


@shared_task
def release_due_call_retries_task() -> int:
    """Carts whose next planned call has come go back to the ready queue."""
    return call_retries_release()
