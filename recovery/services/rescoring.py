"""Beat's re-scoring sweep: every open cart's route, score and sentence brought up to date, a batch at a time.

Time alone moves a score (intent decays, calling windows open and close, an automated-first cart is escalated
after a day), so every open cart is re-scored every minute. One cart at a time that was a locked read, two more
queries and an UPDATE in a transaction of its own: with thousands of open carts that took most of every
minute of a worker (`python -m bench.soak`). Here a batch is read in three queries (the carts with their
customers, their line items, their attempt counts), scored by the same `cart_priority`, and written with one UPDATE.

No row lock is held while a batch is scored. The write locks, in primary-key order, the carts still open and
unchanged (same `updated_at`) since they were read, and writes only those; a cart that changed in between (an
update, a call) is re-scored on its own under its row lock (`cart_prioritize`), so every cart ends with the score
its current data gives. Re-scoring only scores: it never starts a cart's message sequence (opening the cart and
re-routing it on new data do, `recovery.services.carts`; the call cadence resumes it).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from compliance.selectors_attempts import attempts_by_cart
from core.db.locks import session_try_lock
from recovery.models import Cart, Store
from recovery.services.priority import cart_prioritize, cart_priority

REPRIORITIZE_BATCH_SIZE = 500  # carts read, scored and written together; the write locks them for milliseconds
REPRIORITIZE_LOCK = "recovery:reprioritize"  # the one sweep's session lock

_LOCK_UNCHANGED_SQL = """
SELECT cart.id FROM recovery_cart AS cart
JOIN unnest(%(ids)s::bigint[], %(read)s::timestamptz[]) AS seen(id, updated_at) ON seen.id = cart.id
WHERE cart.status = 'open' AND cart.updated_at = seen.updated_at
ORDER BY cart.id
FOR UPDATE OF cart
"""
_WRITE_SQL = """
UPDATE recovery_cart AS cart
SET route = scored.route, priority_score = scored.score, priority_reason = scored.reason, scored_at = %(now)s,
    updated_at = %(written)s
FROM unnest(%(ids)s::bigint[], %(routes)s::text[], %(scores)s::float8[], %(reasons)s::text[])
    AS scored(id, route, score, reason)
WHERE cart.id = scored.id AND cart.id = ANY(%(locked)s::bigint[])
"""


def _open_batch(*, after_pk: int, size: int) -> tuple[list[Cart], dict[int, int]]:
    """The next `size` open carts by primary key, with what scoring reads (not the stored payload), and each
    one's contact attempts so far (cart id -> count, none: absent)."""
    carts = list(
        Cart.objects.open().filter(pk__gt=after_pk).order_by("pk").select_related("customer")
        .defer("raw_payload").prefetch_related("line_items")[:size]
    )
    stores = Store.objects.select_related("priority_policy").in_bulk({cart.store_id for cart in carts})
    attempts = attempts_by_cart([cart.pk for cart in carts])
    for cart in carts:
        cart.store = stores[cart.store_id]
    return carts, attempts


@transaction.atomic
def _write_unchanged(carts: list[Cart], priorities: list, *, now: datetime) -> set[int]:
    """Store the scores of the carts still open and unchanged since they were read; returns their ids."""
    ids = [cart.pk for cart in carts]
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_UNCHANGED_SQL, {"ids": ids, "read": [cart.updated_at for cart in carts]})
        locked = [row[0] for row in cursor.fetchall()]
        if locked:
            cursor.execute(_WRITE_SQL, {
                "ids": ids, "routes": [priority.route for priority in priorities],
                "scores": [priority.score for priority in priorities],
                "reasons": [priority.explanation[:500] for priority in priorities],
                "now": now, "written": timezone.now(), "locked": locked,
            })
    return set(locked)


def _rescore_batch(carts: list[Cart], attempts: dict[int, int], *, now: datetime) -> int:
    """Re-score a batch; returns how many carts were still open to be scored."""
    priorities = [cart_priority(cart, now=now, attempts=attempts.get(cart.pk, 0)) for cart in carts]
    written = _write_unchanged(carts, priorities, now=now) if carts else set()
    one_by_one = [cart.pk for cart in carts if cart.pk not in written]
    return len(written) + sum(cart_prioritize(cart_id=cart_id, now=now) is not None for cart_id in one_by_one)


def carts_reprioritize(*, now: datetime | None = None, batch_size: int = REPRIORITIZE_BATCH_SIZE) -> int:
    """Re-score every open cart (time passes: intent decays, calling windows open), in batches of keys; returns
    how many were re-scored.

    One sweep at a time: with many open carts a sweep can outlast beat's interval, and sweeps piling up behind
    each other on the worker would delay other work. A sweep that finds another running returns -1 at once."""
    now = now or timezone.now()
    with session_try_lock(REPRIORITIZE_LOCK) as acquired:
        if not acquired:
            return -1
        count, last_pk = 0, 0
        while True:
            batch, attempts = _open_batch(after_pk=last_pk, size=batch_size)
            if not batch:
                return count
            count += _rescore_batch(batch, attempts, now=now)
            last_pk = batch[-1].pk
