"""The work queue's hot path in SQL: every agent's "Next cart" runs these, so they are plain statements
rather than ORM querysets, whose construction cost most of `next_cart`'s time (bench/queue.py: about
10 ms of Python per call, which 50 agents on two cores turned into a queue of their own).

All of them run inside `next_cart`'s transaction; the candidate reads lock their rows with
`FOR UPDATE SKIP LOCKED`, so concurrent agents step past each other's candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

# Carts ready to call, best first, from the partial index `cart_call_queue_new` (next_call_at IS NULL: never
# called, or a retry whose time has come and that `call_retries_release` put back). The store and language
# filters are written so one statement serves every agent.
CANDIDATES_SQL = """
SELECT cart.id FROM recovery_cart AS cart
JOIN recovery_customer AS customer ON customer.id = cart.customer_id
WHERE cart.status = 'open' AND cart.route = 'call_first' AND cart.calls_ended_at IS NULL
  AND cart.next_call_at IS NULL AND NOT cart.in_control_group
  AND (cart.reserved_until IS NULL OR cart.reserved_until <= %(now)s)
  AND customer.phone <> ''
  AND (cardinality(%(stores)s::integer[]) = 0 OR cart.store_id = ANY(%(stores)s::integer[]))
  AND (cardinality(%(languages)s::text[]) = 0 OR customer.language = ''
       OR customer.language = ANY(%(languages)s::text[]))
ORDER BY cart.priority_score DESC, cart.id
LIMIT %(limit)s
FOR UPDATE OF cart SKIP LOCKED
"""
# Retries whose time has come go back to the ready queue (index `cart_call_queue_due`).
RELEASE_DUE_SQL = """
UPDATE recovery_cart SET next_call_at = NULL
WHERE status = 'open' AND route = 'call_first' AND calls_ended_at IS NULL AND next_call_at <= %s
"""

_HELD_SQL = """
SELECT id FROM recovery_cart WHERE reserved_by_id = %s AND reserved_until > %s AND status = 'open'
ORDER BY reserved_until LIMIT 1 FOR UPDATE
"""
_AGENT_SQL = """
SELECT profile.languages, profile.max_attempts_per_hour,
       ARRAY(SELECT store_id FROM agents_agentprofile_stores WHERE agentprofile_id = profile.id),
       EXISTS (SELECT FROM compliance_contactattempt WHERE agent_id = %(agent)s AND outcome = ''),
       EXISTS (SELECT FROM agents_callback WHERE status = 'scheduled' AND due_at <= %(now)s)
FROM (VALUES (1)) AS one (x)
LEFT JOIN agents_agentprofile AS profile ON profile.user_id = %(agent)s
"""
_ATTEMPTS_LAST_HOUR_SQL = "SELECT count(*) FROM compliance_contactattempt WHERE agent_id = %s AND at > %s"
_RESERVE_SQL = "UPDATE recovery_cart SET reserved_by_id = %s, reserved_until = %s, updated_at = %s WHERE id = %s"


@dataclass(frozen=True)
class AgentFacts:
    """What `next_cart` needs to know about the agent, read in one statement."""

    languages: tuple[str, ...]
    max_attempts_per_hour: int | None
    store_ids: tuple[int, ...]
    unfinished_attempt: bool
    callbacks_due: bool


def agent_facts(agent_id: int, now: datetime) -> AgentFacts:
    with connection.cursor() as cursor:
        cursor.execute(_AGENT_SQL, {"agent": agent_id, "now": now})
        languages, limit, stores, unfinished, callbacks_due = cursor.fetchone()
    spoken = tuple(code.strip().lower() for code in (languages or "").split(",") if code.strip())
    return AgentFacts(spoken, limit, tuple(stores or ()), unfinished, callbacks_due)


def held_cart_id(agent_id: int, now: datetime) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_HELD_SQL, [agent_id, now])
        row = cursor.fetchone()
    return row[0] if row else None


def attempts_last_hour(agent_id: int, now: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_ATTEMPTS_LAST_HOUR_SQL, [agent_id, now - timedelta(hours=1)])
        return cursor.fetchone()[0]


def candidate_params(facts: AgentFacts, now: datetime, limit: int) -> dict:
    return {"now": now, "stores": list(facts.store_ids), "languages": list(facts.languages), "limit": limit}


def candidate_ids(facts: AgentFacts, now: datetime, limit: int) -> list[int]:
    """The best ready carts this agent may work, locked, best first."""
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_SQL, candidate_params(facts, now, limit))
        return [cart_id for (cart_id,) in cursor.fetchall()]


def release_due(now: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_DUE_SQL, [now])
        return cursor.rowcount


def reserve(cart_id: int, agent_id: int, until: datetime, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [agent_id, until, now, cart_id])


def _columns(model, alias: str) -> tuple[list, str]:
    fields = list(model._meta.concrete_fields)
    return fields, ", ".join(f'{alias}."{field.column}"' for field in fields)


def _hydrate(model, fields: list, values):
    """A model instance from a row, as the ORM builds it (field converters applied)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def carts_with_customer_and_store(ids: list[int]) -> dict:
    """The carts with their customer and store, in one statement, as `select_related` would load them."""
    from recovery.models import Cart, Customer, Store

    cart_fields, cart_columns = _columns(Cart, "cart")
    customer_fields, customer_columns = _columns(Customer, "customer")
    store_fields, store_columns = _columns(Store, "store")
    sql = (f"SELECT {cart_columns}, {customer_columns}, {store_columns} FROM recovery_cart AS cart "
           "JOIN recovery_customer AS customer ON customer.id = cart.customer_id "
           "JOIN recovery_store AS store ON store.id = cart.store_id WHERE cart.id = ANY(%s)")
    carts = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        for row in cursor.fetchall():
            first, second = len(cart_fields), len(cart_fields) + len(customer_fields)
            cart = _hydrate(Cart, cart_fields, row[:first])
            cart.customer = _hydrate(Customer, customer_fields, row[first:second])
            cart.store = _hydrate(Store, store_fields, row[second:])
            carts[cart.pk] = cart
    return carts
