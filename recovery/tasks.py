"""Background work for ingestion: process inbox deliveries, open abandoned carts; and a store's erasure (Shopify's
`shop/redact`), which compliance orchestrates on the store recovery owns."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from compliance.models import PrivacyRequest
from compliance.services.erasure import shop_erase
from recovery import selectors
from recovery.models import Store, WebhookDelivery
from recovery.services import cart_open_if_abandoned, delivery_process
from recovery.services.call_cadence import carts_after_calls_close, carts_expire
from recovery.services.rescoring import carts_reprioritize
from recovery.services.scrub import carts_scrub
from recovery.services.sequence import TransientSendError, interrupted_sends_flag, message_step_send
from recovery.services.shopify_reconciliation import CREATED, UPDATED, reconcilable_store_ids, store_reconcile

logger = logging.getLogger(__name__)

# Sweeps work in batches of primary keys so one run never holds many locks or much memory.
SWEEP_BATCH_SIZE = 500
DELIVERY_MAX_RETRIES = 8
MESSAGE_MAX_RETRIES = 6
ERASE_STORE_MAX_RETRIES = 8  # about four hours of backoff


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
def process_webhook_deliveries_task(delivery_ids: list[int]) -> int:
    """Process deliveries the dispatcher queued together, one after the other, each in its own transaction as
    `process_webhook_delivery_task` does; returns how many were processed. A delivery that fails is handed to
    that task for its retries (15 s, 30 s, 1 min, ...), so one failure delays nothing else."""
    processed, failed = 0, []
    for delivery_id in delivery_ids:
        delivery = delivery_process(delivery_id=delivery_id)
        processed += delivery is not None
        if delivery is not None and delivery.status == WebhookDelivery.Status.FAILED:
            failed.append(delivery_id)
    for delivery_id in failed:  # as that task's own first retry would be: in 15 s, counted as retry 1
        process_webhook_delivery_task.apply_async(args=[delivery_id], countdown=15, retries=1)
    return processed


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


@shared_task
def send_due_messages_task() -> int:
    """Queue every sequence step that has fallen due (each task is idempotent: queuing twice is harmless)."""
    due = list(selectors.due_message_steps(now=timezone.now())[:SWEEP_BATCH_SIZE])
    for cart_id, step in due:
        send_message_step_task.delay(cart_id, step)
    return len(due)


@shared_task(bind=True, acks_late=True, max_retries=MESSAGE_MAX_RETRIES)
def send_message_step_task(self, cart_id: int, step: int) -> str | None:
    """Send one step of a cart's sequence, at most once; a provider outage is retried with backoff.

    `acks_late`: a worker killed mid-task leaves the task queued for another; the step's claim row
    makes that redelivery send nothing if the message already went.
    """
    try:
        message = message_step_send(cart_id=cart_id, step=step)
    except TransientSendError as exc:
        if self.request.retries >= self.max_retries:
            logger.error("Giving up on step %s of cart %s: %s", step, cart_id, exc)
            return "failed"
        raise self.retry(countdown=min(3600, 60 * 2**self.request.retries)) from exc
    return message.status if message else None


@shared_task
def flag_interrupted_sends_task() -> int:
    """Steps left "sending" by a worker that died mid-send are marked interrupted (never sent again)."""
    return interrupted_sends_flag()


@shared_task
def advance_cadences_task() -> dict:
    """Move carts on when their calls are done, and close those past their store's time limit."""
    return {"after_calls": carts_after_calls_close(), "expired": carts_expire()}


@shared_task
def reconcile_shopify_stores_task() -> int:
    """Queue one reconciliation per active Shopify store with Admin API credentials; returns how many.

    One task per store, so a store whose API fails (or is slow to page through) delays no other store.
    """
    store_ids = reconcilable_store_ids()
    for store_id in store_ids:
        reconcile_shopify_store_task.delay(store_id)
    return len(store_ids)


@shared_task
def reconcile_shopify_store_task(store_id: int) -> str:
    """Ingest the store's abandoned checkouts that no webhook brought (see `store_reconcile`).

    No retry of its own: a failed run leaves the watermark, so the next beat run reads the same window again.
    """
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None or not store.shopify_admin_access_token:
        return "skipped"
    try:
        result = store_reconcile(store=store)
    except Exception:  # any failure is this store's alone: logged with its shop, and the window is read again
        logger.exception("Shopify reconciliation of %s failed; the next run reads the same window", store.shop_domain)
        return "failed"
    if result.busy:
        return "busy"
    if result.count(CREATED) or result.count(UPDATED):
        logger.info("Shopify reconciliation of %s: %s", store.shop_domain, result.outcomes)
    return "reconciled"


@shared_task(bind=True, acks_late=True, max_retries=ERASE_STORE_MAX_RETRIES)
def erase_store_task(self, store_id: int) -> dict[str, int]:
    """Erase every customer's personal data in one store (Shopify's `shop/redact`) and return the counts.

    Batched, each batch committed: a task that dies half-way is finished by running it again, so a worker killed
    mid-way leaves it queued (`acks_late`) and a database error retries it with backoff; the delivery that asked
    is already answered, and nothing else would run it again."""
    store = Store.objects.get(pk=store_id)
    try:
        return shop_erase(store=store, source=PrivacyRequest.Source.SHOPIFY,
                          requested_by="shopify:shop/redact").counts
    except DatabaseError as exc:
        raise self.retry(countdown=min(3600, 60 * 2**self.request.retries)) from exc


@shared_task
def scrub_open_carts_task() -> int:
    """Suppress open carts nobody may contact any more (after each DNC import, and nightly)."""
    return len(carts_scrub().suppressed)
