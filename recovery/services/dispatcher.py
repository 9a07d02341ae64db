"""The inbox dispatcher: turns the inbox's notifications into Celery tasks.

It holds one PostgreSQL connection that LISTENs on the inbox channel. Each
notification names a new delivery; the deliveries announced within a few
milliseconds of each other get one processing task between them. When the
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
from recovery.services.inbox import INBOX_CHANNEL, deliveries_queue

logger = logging.getLogger(__name__)

PENDING_BATCH_SIZE = 500
# Deliveries announced together go to the worker as one task: at 100 a second, a 50 ms gathering makes tasks of
# about five, and the broker's and the worker's cost per message is paid once for them.
TASK_BATCH_SIZE = 20
GATHER_SECONDS = 0.05
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
        queued += sum(deliveries_queue(ids[start:start + TASK_BATCH_SIZE])
                      for start in range(0, len(ids), TASK_BATCH_SIZE))
        last_pk, batches = ids[-1], batches + 1
    return queued


def dispatch_once(pg: psycopg.Connection, *, timeout: float = 1.0) -> int:
    """Wait up to `timeout` seconds for a delivery to be announced, then queue it with those announced within
    GATHER_SECONDS of it (up to TASK_BATCH_SIZE) as one task; returns how many were queued."""
    ids = [int(notification.payload) for notification in pg.notifies(timeout=timeout, stop_after=1)]
    if ids:
        ids += [int(notification.payload)
                for notification in pg.notifies(timeout=GATHER_SECONDS, stop_after=TASK_BATCH_SIZE - 1)]
    return deliveries_queue(ids)


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
