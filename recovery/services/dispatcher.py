"""The inbox dispatcher: turns the inbox's notifications into Celery tasks.

It holds one PostgreSQL connection that LISTENs on the inbox channel. Each
notification names a new delivery, which gets its processing task. When the
channel has been quiet for a while, it also queues any delivery still pending
(one missed while the dispatcher was down, or while the broker was), so nothing
waits for the slower beat sweep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import psycopg
from django.db import connection
from django.utils import timezone

from recovery import selectors
from recovery.services.inbox import INBOX_CHANNEL, delivery_queue

logger = logging.getLogger(__name__)

PENDING_BATCH_SIZE = 500
# A delivery still pending this long was missed (dispatcher or broker down), not merely queued behind others.
STRAGGLER_AGE = timedelta(minutes=1)
STRAGGLER_SWEEP_SECONDS = 30.0


def listening_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    pg = psycopg.connect(**params, autocommit=True)
    pg.execute(f"LISTEN {INBOX_CHANNEL}")
    return pg


def queue_pending(*, older_than: timedelta = STRAGGLER_AGE, max_batches: int | None = 1) -> int:
    """Queue deliveries still pending, in batches of primary keys; returns how many were queued.

    `max_batches=None` queues them all (at start-up, after downtime).
    """
    pending = selectors.pending_delivery_ids(received_before=timezone.now() - older_than)
    queued, last_pk, batches = 0, 0, 0
    while max_batches is None or batches < max_batches:
        ids = list(pending.filter(pk__gt=last_pk)[:PENDING_BATCH_SIZE])
        if not ids:
            break
        queued += sum(delivery_queue(delivery_id) for delivery_id in ids)
        last_pk, batches = ids[-1], batches + 1
    return queued


def dispatch_once(pg: psycopg.Connection, *, timeout: float = 1.0) -> int:
    """Queue the deliveries announced within `timeout` seconds."""
    queued = 0
    for notification in pg.notifies(timeout=timeout, stop_after=PENDING_BATCH_SIZE):
        queued += delivery_queue(int(notification.payload))
    return queued


def dispatch_forever(*, should_stop: Callable[[], bool]) -> None:
    """Dispatch until `should_stop()`; waits are short so a stop is honoured within a second."""
    pg = listening_connection()
    try:
        queue_pending(older_than=timedelta(0), max_batches=None)  # whatever arrived while we were away
        last_sweep = time.monotonic()
        while not should_stop():
            dispatch_once(pg)
            if time.monotonic() - last_sweep >= STRAGGLER_SWEEP_SECONDS:
                queue_pending()
                last_sweep = time.monotonic()
    finally:
        pg.close()
