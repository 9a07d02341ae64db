"""The work queue's hot path in SQL: every agent's "Next cart" runs these, so they are plain prepared
statements rather than ORM querysets, whose construction cost most of `next_cart`'s time (measured by
`python -m bench.work_queue`): with 50 agents on a few cores it became a queue of its own.

A new cart is chosen and reserved in one statement, the bare queue pop (`UPDATE ... WHERE id = (SELECT ...
FOR UPDATE SKIP LOCKED)`) returning the cart with its customer and store, so concurrent agents step past
each other's carts and the row lock lasts one statement, not a whole transaction. The first pop of a
request also reads what decides whether the agent may take a new cart at all (the cart it holds, a
wrap-up owed, its hourly limit, callbacks due) and pops only when nothing stands in the way, and reads with
the cart what the compliance gate needs to screen calling it (the compliance app's own subquery): the usual
"Next cart" is that one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connection

from compliance.selectors import ContactFacts, call_facts_from_row, call_facts_subquery
from core.db.commit import ASYNCHRONOUS_COMMIT
from core.db.prepared import PreparedStatement
from core.db.rows import instance_from_row
from recovery.models import Cart, Customer, Store

if TYPE_CHECKING:
    from recovery.models import Cart

# Carts ready to call, from the partial index `cart_call_queue_new` (next_call_at IS NULL: never called, or
# a retry whose time has come and that `call_retries_release` put back), best first, in the agent's stores
# and languages (an empty list: any). Written so that one statement serves every agent.
_READY_SQL = """
SELECT cart.id FROM recovery_cart AS cart
JOIN recovery_customer AS customer ON customer.id = cart.customer_id
WHERE cart.status = 'open' AND cart.route = 'call_first' AND cart.calls_ended_at IS NULL
  AND cart.next_call_at IS NULL AND NOT cart.in_control_group
  AND (cart.reserved_until IS NULL OR cart.reserved_until <= %(now)s)
  AND customer.phone <> ''
  AND (cardinality({stores}) = 0 OR cart.store_id = ANY({stores}))
  AND (cardinality({languages}) = 0 OR customer.language = '' OR customer.language = ANY({languages})){may_take}
ORDER BY cart.priority_score DESC, cart.id
LIMIT 1
FOR UPDATE OF cart SKIP LOCKED
"""
CANDIDATE_SQL = _READY_SQL.format(stores="%(stores)s::integer[]", languages="%(languages)s::text[]",
                                  may_take="")
_RESERVE_RETURNING_SQL = """
UPDATE recovery_cart AS cart SET reserved_by_id = %(agent)s, reserved_until = %(until)s, updated_at = %(now)s
FROM recovery_customer AS customer, recovery_store AS store
WHERE cart.id = ({cart}) AND customer.id = cart.customer_id AND store.id = cart.store_id
RETURNING {columns}
"""
# The cart the agent holds, if the lease still runs (renewed by the same statement as a new cart).
_HELD_SQL = """
SELECT id FROM recovery_cart WHERE reserved_by_id = %(agent)s AND reserved_until > %(now)s AND status = 'open'
ORDER BY reserved_until LIMIT 1 FOR UPDATE
"""
# What decides whether and what the agent may take: one row, whatever the agent's profile holds.
_AGENT_SQL = """
SELECT profile.max_attempts_per_hour,
       ARRAY(SELECT store_id FROM agents_agentprofile_stores WHERE agentprofile_id = profile.id) AS stores,
       ARRAY(SELECT lower(btrim(code)) FROM unnest(string_to_array(coalesce(profile.languages, ''), ',')) AS code
             WHERE btrim(code) <> '') AS languages,
       EXISTS (SELECT FROM compliance_contactattempt WHERE agent_id = %(agent)s AND outcome = '') AS unfinished,
       EXISTS (SELECT FROM agents_callback WHERE status = 'scheduled' AND due_at <= %(now)s) AS callbacks_due,
       (SELECT id FROM recovery_cart WHERE reserved_by_id = %(agent)s AND reserved_until > %(now)s
          AND status = 'open' ORDER BY reserved_until LIMIT 1) AS held,
       CASE WHEN profile.max_attempts_per_hour IS NOT NULL THEN
           (SELECT count(*) FROM compliance_contactattempt WHERE agent_id = %(agent)s AND at > %(hour_ago)s)
       END AS last_hour
FROM (VALUES (1)) AS one (x)
LEFT JOIN agents_agentprofile AS profile ON profile.user_id = %(agent)s
"""
# Scalar subqueries of the one-row `agent`, so PostgreSQL evaluates them once, before the scan: when the
# agent may not take a new cart the queue is not read at all (a one-time filter), rather than every ready
# cart being joined to a row that refuses it.
_FIRST_POP_SQL = _READY_SQL.format(
    stores="(SELECT stores FROM agent)::bigint[]", languages="(SELECT languages FROM agent)::text[]",
    may_take="""
  AND (SELECT held IS NULL AND NOT unfinished AND NOT callbacks_due
              AND (max_attempts_per_hour IS NULL OR last_hour < max_attempts_per_hour) FROM agent)""")
# Its transaction commits without waiting for the write-ahead log to reach the disk (`set_config(..., true)` is
# SET LOCAL: this statement's transaction in autocommit, the caller's when inside one). Handing out a cart
# contacts nobody: a database crash in the fraction of a second before the flush loses only leases (and, in the
# console's transaction, the call just opened with its lease), so the cart goes back to the queue; the dial, its
# contact attempt and everything after commit durably in transactions of their own. On a shared disk an
# fsync now and then stalls for a large part of a second, which the pop need not wait for.
# The popped cart comes with what the compliance gate reads to screen calling it (compliance's own subquery,
# `call_facts_subquery`), so that the usual "Next cart" is one round trip; the gate still decides, in Python.
_FACTS_WITH_POP_SQL = """
WITH agent AS ({agent}), popped AS ({pop})
SELECT agent.max_attempts_per_hour, agent.stores, agent.languages, agent.unfinished, agent.callbacks_due,
       agent.held, agent.last_hour, {asynchronous_commit}, popped.*, call_facts.*
FROM agent LEFT JOIN popped ON true
LEFT JOIN LATERAL ({call_facts}) AS call_facts ON popped.{cart_id} IS NOT NULL
"""
# Retries whose time has come go back to the ready queue (index `cart_call_queue_due`).
RELEASE_DUE_SQL = """
UPDATE recovery_cart SET next_call_at = NULL
WHERE status = 'open' AND route = 'call_first' AND calls_ended_at IS NULL AND next_call_at <= %s
"""
_RELEASE_SQL = ("UPDATE recovery_cart SET reserved_by_id = NULL, reserved_until = NULL "
                "WHERE id = %s AND reserved_by_id = %s")
# The fields of the cart, its customer and its store that the queue hands out: what the gate reads (the
# control group; the number and the address; the store and its name), what parking a refused cart and
# renewing a lease read and write, and what names the cart. The rest is deferred, loaded if read, as
# `.only()` leaves it: each returned column costs PostgreSQL and psycopg work on every pop, the callers
# (a new `Call`, the bench) use the id, and the store's secrets have no business in the queue.
_HANDED_OUT_FIELDS = {
    "Cart": ("id", "store_id", "customer_id", "external_id", "checkout_token", "status", "route", "priority_score",
             "in_control_group", "reserved_by_id", "reserved_until", "call_attempts", "first_attempt_at",
             "next_call_at", "calls_ended_at", "total_value", "currency", "updated_at"),
    "Customer": ("id", "store_id", "first_name", "last_name", "email", "phone", "phone_digest", "country", "region",
                 "language"),
    "Store": ("id", "name", "currency", "timezone"),
}


@dataclass(frozen=True)
class AgentFacts:
    """What `next_cart` needs to know about the agent, read with its first pop."""

    languages: tuple[str, ...]
    max_attempts_per_hour: int | None
    store_ids: tuple[int, ...]
    unfinished_attempt: bool
    callbacks_due: bool
    held_cart_id: int | None
    attempts_last_hour: int | None  # counted only when the agent has a limit

    @property
    def hourly_limit_reached(self) -> bool:
        limit = self.max_attempts_per_hour
        return limit is not None and (self.attempts_last_hour or 0) >= limit

    @property
    def may_take_new_cart(self) -> bool:
        """The first pop's condition, as the statement states it: nothing held, no wrap-up owed, under the
        hourly limit, no callback due (callbacks come first)."""
        return (self.held_cart_id is None and not self.unfinished_attempt and not self.callbacks_due
                and not self.hourly_limit_reached)


def agent_facts_with_pop(*, agent_id: int, until: datetime,
                         now: datetime) -> tuple[AgentFacts, Cart | None, ContactFacts | None]:
    """The agent's facts, and the best ready cart reserved for it until `until` (with its customer and
    store) when the facts let it take a new one, with the gate's facts for calling it at `now`; else, or when
    none is left, None for the cart and its facts."""
    params = {"agent": agent_id, "until": until, "now": now, "hour_ago": now - timedelta(hours=1),
              "since": now - timedelta(hours=24)}
    with connection.cursor() as cursor:
        _facts_with_pop_statement().execute(cursor, params)
        row = cursor.fetchone()
    limit, stores, languages, unfinished, callbacks_due, held, last_hour, _ = row[:8]
    facts = AgentFacts(tuple(languages or ()), limit, tuple(stores or ()), unfinished, callbacks_due, held,
                       last_hour)
    cart_end = 8 + sum(len(shape.attnames) for shape in _returned_columns()[1])  # then the gate's facts
    cart = _cart_from_row(row[8:cart_end], cursor.db)
    if cart is None:
        return facts, None, None
    return facts, cart, call_facts_from_row(row[cart_end:], store=cart.store)


def candidate_params(facts: AgentFacts, now: datetime) -> dict:
    return {"now": now, "stores": list(facts.store_ids), "languages": list(facts.languages)}


def best_candidate_reserve(facts: AgentFacts, *, agent_id: int, until: datetime, now: datetime) -> Cart | None:
    """The best ready cart this agent may work, reserved for it until `until`, with its customer and store
    (None when none is left). Carts other agents are taking at this moment are stepped over (SKIP LOCKED)."""
    params = {**candidate_params(facts, now), "agent": agent_id, "until": until}
    return _reserve_returning("agents_queue_pop", CANDIDATE_SQL, params)


def held_cart_renew(*, agent_id: int, until: datetime, now: datetime) -> Cart | None:
    """The cart the agent holds, its lease renewed until `until`, with its customer and store; None if the
    lease lapsed meanwhile."""
    return _reserve_returning("agents_queue_renew", _HELD_SQL, {"agent": agent_id, "until": until, "now": now})


def cart_reserve(*, cart_id: int, agent_id: int, until: datetime, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recovery_cart SET reserved_by_id = %s, reserved_until = %s, updated_at = %s "
                       "WHERE id = %s", [agent_id, until, now, cart_id])


def reservation_release(*, cart_id: int, agent_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_SQL, [cart_id, agent_id])


def release_due(now: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_DUE_SQL, [now])
        return cursor.rowcount


def _columns(model, alias: str) -> tuple[list, str]:
    handed_out = _HANDED_OUT_FIELDS[model.__name__]
    fields = [field for field in model._meta.concrete_fields if field.attname in handed_out]
    return fields, ", ".join(f'{alias}."{field.column}"' for field in fields)


@dataclass(frozen=True)
class _RowShape:
    """How one model's columns of a returned row become an instance: its fields' names, and the positions
    and converters (`from_db_value`) of the few fields that have one, worked out once per process."""

    attnames: list[str]
    converters: tuple[tuple[int, Callable[..., Any]], ...]

    @classmethod
    def of(cls, fields: list) -> _RowShape:
        return cls([field.attname for field in fields],
                   tuple((index, field.from_db_value) for index, field in enumerate(fields)
                         if hasattr(field, "from_db_value")))


def _hydrate(model, shape: _RowShape, values, db):
    """A model instance from a row, as the ORM builds it (field converters applied; fields left out are
    deferred, as `.only()` leaves them)."""
    converted = list(values)
    for index, convert in shape.converters:
        if converted[index] is not None:
            converted[index] = convert(converted[index], None, db)
    return instance_from_row(model, shape.attnames, converted, using=db.alias)


@lru_cache(maxsize=1)
def _returned_columns() -> tuple[str, tuple[_RowShape, _RowShape, _RowShape]]:
    """The columns a reserving statement returns (the cart, its customer, its store) and their shapes."""
    cart_fields, cart_columns = _columns(Cart, "cart")
    customer_fields, customer_columns = _columns(Customer, "customer")
    store_fields, store_columns = _columns(Store, "store")
    shapes = (_RowShape.of(cart_fields), _RowShape.of(customer_fields), _RowShape.of(store_fields))
    return f"{cart_columns}, {customer_columns}, {store_columns}", shapes


@lru_cache(maxsize=2)
def _reserve_statement(name: str, cart_sql: str) -> PreparedStatement:
    """The reserving UPDATE around a statement choosing one cart id."""
    columns, _ = _returned_columns()
    return PreparedStatement(name, _RESERVE_RETURNING_SQL.format(cart=cart_sql.strip(), columns=columns))


@lru_cache(maxsize=1)
def _facts_with_pop_statement() -> PreparedStatement:
    """The agent's facts and, when they allow it, the first pop; the cart's columns are renamed, since a
    WITH query's columns must have distinct names (cart, customer and store each have an id)."""
    columns, _ = _returned_columns()
    aliases = {column: f"c{number}" for number, column in enumerate(columns.split(", "))}
    pop = _RESERVE_RETURNING_SQL.format(cart=_FIRST_POP_SQL.strip(),
                                        columns=", ".join(f"{column} AS {alias}" for column, alias in aliases.items()))
    popped = {column: f"popped.{alias}" for column, alias in aliases.items()}
    call_facts = call_facts_subquery(store=popped['cart."store_id"'], cart=popped['cart."id"'],
                                     phone=popped['customer."phone"'], phone_digest=popped['customer."phone_digest"'],
                                     since="%(since)s")
    sql = _FACTS_WITH_POP_SQL.format(agent=_AGENT_SQL.strip(), pop=pop.strip(), call_facts=call_facts.strip(),
                                     cart_id=aliases['cart."id"'], asynchronous_commit=ASYNCHRONOUS_COMMIT)
    return PreparedStatement("agents_queue_facts_pop", sql)


def _cart_from_row(values, db) -> Cart | None:
    """The cart (with customer and store, as `select_related` loads them) from the returned columns, or None.
    `db`: the database (wrapper) the row was read from."""
    if values[0] is None:
        return None
    cart_shape, customer_shape, store_shape = _returned_columns()[1]
    first, second = len(cart_shape.attnames), len(cart_shape.attnames) + len(customer_shape.attnames)
    cart = _hydrate(Cart, cart_shape, values[:first], db)
    cart.customer = _hydrate(Customer, customer_shape, values[first:second], db)
    cart.store = _hydrate(Store, store_shape, values[second:], db)
    return cart


def _reserve_returning(name: str, cart_sql: str, params: dict) -> Cart | None:
    """Run a reserving UPDATE; the cart it reserved, or None."""
    with connection.cursor() as cursor:
        _reserve_statement(name, cart_sql).execute(cursor, params)
        row = cursor.fetchone()
    return None if row is None else _cart_from_row(row, cursor.db)
