"""Background work for ingestion: process inbox deliveries, open abandoned carts."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from recovery import selectors
from recovery.models import WebhookDelivery
from recovery.services import cart_open_if_abandoned, delivery_process
from recovery.services.priority import carts_reprioritize

logger = logging.getLogger(__name__)

# Sweeps work in batches of primary keys so one run never holds many locks or much memory.
SWEEP_BATCH_SIZE = 500
DELIVERY_MAX_RETRIES = 8


@shared_task(bind=True, max_retries=DELIVERY_MAX_RETRIES)
def process_webhook_delivery_task(self, delivery_id: int) -> str | None:
    """Process one inbox delivery; a failure is retried with exponential backoff."""
    delivery = delivery_process(delivery_id=delivery_id)
    if delivery is None:
        return None
    if delivery.status == WebhookDelivery.Status.FAILED and self.request.retries < self.max_retries:
        # 15 s, 30 s, 1 min, ... capped at 1 h: about 3 hours in all, like Shopify's own retries.
        raise self.retry(countdown=min(3600, 15 * 2**self.request.retries))
    return delivery.status


@shared_task
def process_pending_deliveries_task() -> int:
    """Safety net: process deliveries still pending a while after they arrived (e.g. broker was down)."""
    cutoff = timezone.now() - timedelta(minutes=2)
    ids = list(selectors.pending_delivery_ids(received_before=cutoff)[:SWEEP_BATCH_SIZE])
    for delivery_id in ids:
        delivery_process(delivery_id=delivery_id)
    return len(ids)


@shared_task
def open_cart_if_abandoned_task(cart_id: int) -> bool:
    return cart_open_if_abandoned(cart_id=cart_id)


@shared_task
def reprioritize_open_carts_task() -> int:
    """Re-score open carts as time passes (speed-to-lead decay, calling windows opening and closing)."""
    return carts_reprioritize()


@shared_task
def open_abandoned_carts_task() -> int:
    """Open every pending checkout that has gone quiet (backs up the per-cart countdown)."""
    now = timezone.now()
    opened = 0
    for cart_id in selectors.abandonment_candidate_ids(now=now)[:SWEEP_BATCH_SIZE]:
        opened += cart_open_if_abandoned(cart_id=cart_id, now=now)
    return opened
