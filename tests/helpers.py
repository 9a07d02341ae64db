"""Plain helpers shared by the tests of several apps (fixtures live in the conftest files, test data in
factories.py, provider payloads in payloads.py)."""

from __future__ import annotations

from recovery.models import WebhookDelivery
from recovery.tasks import process_webhook_delivery_task


def process_inbox() -> None:
    """Process every pending delivery with the real task, as the dispatcher and a worker would."""
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).order_by("pk")
    for delivery_id in pending.values_list("pk", flat=True):
        process_webhook_delivery_task.apply(args=[delivery_id])
