"""What the soak left in PostgreSQL, compared with what the stores sent and what the agents saw.

Inbox: every event sent is stored exactly once (a redelivery or replay adds nothing) and processed. Carts: one per
store and checkout token sent, none that was not sent, each holding the checkout's last update. Calls and
attempts: every call an agent was handed is a row, with the cart the agent's screen showed; every dial that went
through has exactly one voice attempt and every such attempt its call, each finished by the wrap-up. Assignments:
no cart was held by two agents at once, from the calls' own history (opened .. wrapped up) and from the intervals
the agents recorded themselves.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import datetime

from bench.common.loadgen import percentile
from bench.soak.agents import Record
from bench.soak.stores import ABANDONMENT_DELAY, FRICTION_ABANDONMENT_DELAY, STORES, Stream

DRAIN_POLL_S = 1.0
SHOPS = [domain for domain, _, _ in STORES]


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


_PENDING_SQL = """
SELECT count(*) FILTER (WHERE d.status = 'pending'),
       (SELECT count(*) FROM recovery_cart c JOIN recovery_store s2 ON s2.id = c.store_id
        WHERE s2.shop_domain = ANY(%s) AND c.status = 'pending'
          AND coalesce(c.platform_updated_at, c.created_at) + interval '30 seconds' < now())
FROM recovery_webhookdelivery d JOIN recovery_store s ON s.id = d.store_id WHERE s.shop_domain = ANY(%s)
"""


def wait_drained(timeout: float) -> dict:
    """Wait until the inbox has nothing pending and no quiet checkout is still waiting to be opened."""
    started = time.monotonic()
    while True:
        deliveries, carts = _rows(_PENDING_SQL, [SHOPS, SHOPS])[0]
        if (not deliveries and not carts) or time.monotonic() - started > timeout:
            return {"seconds": round(time.monotonic() - started, 1), "pending_deliveries": deliveries,
                    "quiet_carts_not_opened": carts}
        time.sleep(DRAIN_POLL_S)


def inbox(stream: Stream) -> dict:
    """The inbox against the events sent, and how far behind the worker processed them (received -> processed)."""
    rows = _rows("""SELECT s.shop_domain, d.event_id, d.status, extract(epoch FROM d.processed_at - d.received_at)
                    FROM recovery_webhookdelivery d JOIN recovery_store s ON s.id = d.store_id
                    WHERE s.shop_domain = ANY(%s)""", [SHOPS])
    sent = {(delivery.shop_domain, delivery.event_id) for delivery in stream.deliveries}
    stored = Counter((shop, event) for shop, event, *_ in rows)
    return {"rows": len(rows), "events_sent": len(sent), "lost": len(sent - set(stored)),
            "stored_twice": sum(1 for count in stored.values() if count > 1),
            "not_sent": len(set(stored) - sent), "statuses": dict(Counter(row[2] for row in rows)),
            "processing_lag_s": _spread([float(row[3]) for row in rows if row[3] is not None])}


def _pending_checkouts() -> set[tuple[str, str]]:
    """(shop, token) of checkouts with a delivery the worker has not processed yet: their carts are late, not lost."""
    return set(_rows("""SELECT s.shop_domain, convert_from(d.raw_body, 'UTF8')::jsonb ->> 'token'
                        FROM recovery_webhookdelivery d JOIN recovery_store s ON s.id = d.store_id
                        WHERE s.shop_domain = ANY(%s) AND d.status = 'pending'""", [SHOPS]))


def carts(stream: Stream) -> dict:
    waiting = _pending_checkouts()
    rows = _rows("""SELECT s.shop_domain, c.checkout_token, c.platform_updated_at, c.status, c.route,
                           c.in_control_group, c.payment_failed, c.workable_since, c.reserved_until > now()
                    FROM recovery_cart c JOIN recovery_store s ON s.id = c.store_id
                    WHERE s.shop_domain = ANY(%s)""", [SHOPS])
    found = Counter((shop, token) for shop, token, *_ in rows)
    latest = {(shop, token): updated for shop, token, updated, *_ in rows}
    stale = sum(1 for key, sent in stream.latest.items()
                if key in latest and key not in waiting and latest[key] != datetime.fromisoformat(sent))
    missing = set(stream.latest) - set(found)
    open_call_first = [row for row in rows if row[3] == "open" and row[4] == "call_first" and not row[5]]
    to_workable = [_quiet_to_workable(updated, workable, friction)
                   for _, _, updated, _, _, _, friction, workable, _ in rows if workable and updated]
    return {"carts": len(rows), "checkouts_sent": len(stream.latest), "lost": len(missing - waiting),
            "waiting_on_worker": len(missing & waiting) + sum(1 for key in waiting if key in found),
            "duplicated": sum(1 for count in found.values() if count > 1),
            "not_sent": len(set(found) - set(stream.latest)), "stale": stale,
            "by_status": dict(Counter(row[3] for row in rows)),
            "call_first_open": len(open_call_first), "control_group": sum(1 for row in rows if row[5]),
            "still_reserved": sum(1 for row in rows if row[8]), "quiet_to_workable_s": _spread(to_workable)}


def _quiet_to_workable(updated: datetime, workable: datetime, friction: bool) -> float:
    """Seconds from the checkout's last update plus its abandonment delay to the cart being workable."""
    return (workable - updated - (FRICTION_ABANDONMENT_DELAY if friction else ABANDONMENT_DELAY)).total_seconds()


_CALLS_SQL = """
SELECT call.id, cart.id, cart.checkout_token, call.agent_id, call.opened_at, call.wrapped_up_at, call.attempt_id,
       attempt.outcome, cart.workable_since, cart.platform_updated_at, cart.payment_failed
FROM agents_call call JOIN recovery_cart cart ON cart.id = call.cart_id
LEFT JOIN compliance_contactattempt attempt ON attempt.id = call.attempt_id
WHERE call.agent_id = ANY(%s) ORDER BY call.opened_at
"""
_ATTEMPTS_SQL = """
SELECT attempt.id, attempt.outcome, (SELECT count(*) FROM agents_call call WHERE call.attempt_id = attempt.id)
FROM compliance_contactattempt attempt WHERE attempt.channel = 'voice' AND attempt.agent_id = ANY(%s)
"""


def calls(agent_ids: list[int], record: Record) -> dict:
    rows = _rows(_CALLS_SQL, [agent_ids])
    attempts = _rows(_ATTEMPTS_SQL, [agent_ids])
    by_id = {row[0]: row for row in rows}
    seen = {held.call_id: held for held in record.assignments}
    dialed_client = {held.call_id for held in record.assignments if held.dialed}
    dialed_db = {row[0] for row in rows if row[6] is not None}
    return {
        "calls": len(rows), "handed_to_agents": len(seen), "missing": len(set(seen) - set(by_id)),
        "unseen_by_agents": len(set(by_id) - set(seen)),
        "other_cart_than_shown": sum(1 for call_id, held in seen.items()
                                     if call_id in by_id and held.token != by_id[call_id][2]),
        "left_open": sum(1 for row in rows if row[5] is None),
        "dials_client": len(dialed_client), "dials_db": len(dialed_db),
        "dials_mismatched": len(dialed_client ^ dialed_db),
        "voice_attempts": len(attempts), "attempts_without_call": sum(1 for _, _, linked in attempts if linked == 0),
        "attempts_on_two_calls": sum(1 for _, _, linked in attempts if linked > 1),
        "attempts_unfinished": sum(1 for _, outcome, _ in attempts if outcome == ""),
        "dials_refused": sum(1 for held in record.assignments if held.refused),
        "overlaps_db": _db_overlaps(rows), "overlaps_client": _client_overlaps(record),
        "timing": _timing(rows),
    }


def _db_overlaps(rows: list[tuple]) -> int:
    """Pairs of calls on one cart by different agents whose opened .. wrapped-up spans overlap."""
    spans: dict[int, list[tuple]] = defaultdict(list)
    for _, cart_id, _, agent_id, opened, wrapped, *_ in rows:
        spans[cart_id].append((opened, wrapped, agent_id))
    return sum(_overlapping(sorted(items, key=lambda item: item[0])) for items in spans.values())


def _client_overlaps(record: Record) -> int:
    """The same, from the intervals the agents held each cart for certain (token shown on their screens)."""
    spans: dict[str, list[tuple]] = defaultdict(list)
    for held in record.assignments:
        if held.token:
            spans[held.token].append((held.received, held.released, held.agent))
    return sum(_overlapping(sorted(items, key=lambda item: item[0])) for items in spans.values())


def _overlapping(spans: list[tuple]) -> int:
    count = 0
    for index, (_, end, owner) in enumerate(spans):
        for later_start, _, later_owner in spans[index + 1:]:
            if later_owner != owner and (end is None or later_start < end):
                count += 1
    return count


def _timing(rows: list[tuple]) -> dict:
    """Of the carts called: seconds from the quiet time being up to workable, and from workable to the first call."""
    first_call: dict[int, tuple] = {}
    for row in rows:
        first_call.setdefault(row[1], row)
    to_workable, to_call = [], []
    for _, _, _, _, opened, _, _, _, workable, updated, friction in first_call.values():
        if workable is None or updated is None:
            continue
        to_workable.append(_quiet_to_workable(updated, workable, friction))
        to_call.append((opened - workable).total_seconds())
    return {"quiet_to_workable_s": _spread(to_workable), "workable_to_first_call_s": _spread(to_call)}


def _spread(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"count": len(ordered), "p50": round(percentile(ordered, 50), 2), "p95": round(percentile(ordered, 95), 2),
            "max": round(ordered[-1], 2) if ordered else 0.0}
