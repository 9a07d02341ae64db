"""The SQL by which recovery lets the work queue reserve its carts: the statement fragments (a ready cart chosen
and locked, the reservation's UPDATE returning the cart with its customer and store) that `agents.services
.queue_sql` composes with its agent facts into the one-round-trip pop, and the small writes of a reservation.

Carts are recovery's: the reserving UPDATE is written here, so no other app updates `recovery_cart`. The
fragments are plain text with named parameters (`%(agent)s`, `%(until)s`, `%(now)s`), so the composer can
prepare the whole statement once (`core.db.prepared`) and every agent's "Next cart" stays one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection

from core.db.prepared import PreparedStatement
from core.db.rows import instance_from_row
from recovery.models import Cart, Customer, Store

# Carts ready to call, from the partial index `cart_call_queue_new` (next_call_at IS NULL: never called, or
# a retry whose time has come and that `carts_call_release_due` put back), best first, in the agent's stores
# and languages (an empty list: any), locked and stepped over while another agent takes them, and not one this
# agent passed a moment ago (`cart_pass`: read from the cart's own row, so the pop joins nothing more). Written so
# that one statement serves every agent; `may_take` adds the composer's own condition.
_READY_SQL = """
SELECT cart.id FROM recovery_cart AS cart
JOIN recovery_customer AS customer ON customer.id = cart.customer_id
WHERE cart.status = 'open' AND cart.route = 'call_first' AND cart.calls_ended_at IS NULL
  AND cart.next_call_at IS NULL AND NOT cart.in_control_group
  AND (cart.reserved_until IS NULL OR cart.reserved_until <= %(now)s)
  AND (cart.passed_until IS NULL OR cart.passed_until <= %(now)s OR cart.passed_by_id <> %(agent)s)
  AND customer.phone <> ''
  AND (cardinality({stores}) = 0 OR cart.store_id = ANY({stores}))
  AND (cardinality({languages}) = 0 OR customer.language = '' OR customer.language = ANY({languages})){may_take}
ORDER BY cart.priority_score DESC, cart.id
LIMIT 1
FOR UPDATE OF cart SKIP LOCKED
"""
_RESERVE_RETURNING_SQL = """
UPDATE recovery_cart AS cart SET reserved_by_id = %(agent)s, reserved_until = %(until)s, updated_at = %(now)s
FROM recovery_customer AS customer, recovery_store AS store
WHERE cart.id = ({cart}) AND customer.id = cart.customer_id AND store.id = cart.store_id
RETURNING {columns}
"""
# The cart the agent holds, if the lease still runs (renewed by the same statement as a new cart).
HELD_SQL = """
SELECT id FROM recovery_cart WHERE reserved_by_id = %(agent)s AND reserved_until > %(now)s AND status = 'open'
ORDER BY reserved_until LIMIT 1 FOR UPDATE
"""
# The same, unlocked, as a scalar subquery of the composer's facts.
HELD_SUBQUERY_SQL = """(SELECT id FROM recovery_cart WHERE reserved_by_id = %(agent)s AND reserved_until > %(now)s
          AND status = 'open' ORDER BY reserved_until LIMIT 1)"""
# Retries whose time has come go back to the ready queue (index `cart_call_queue_due`).
RELEASE_DUE_SQL = """
UPDATE recovery_cart SET next_call_at = NULL
WHERE status = 'open' AND route = 'call_first' AND calls_ended_at IS NULL AND next_call_at <= %s
"""
_RELEASE_SQL = ("UPDATE recovery_cart SET reserved_by_id = NULL, reserved_until = NULL "
                "WHERE id = %s AND reserved_by_id = %s")
_RESERVE_SQL = "UPDATE recovery_cart SET reserved_by_id = %s, reserved_until = %s, updated_at = %s WHERE id = %s"
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


def cart_ready_sql(*, stores: str, languages: str, may_take: str = "") -> str:
    """The SELECT choosing and locking the best ready cart: `stores` and `languages` are SQL expressions of an
    integer and a text array (empty: any), `may_take` an extra condition starting with a newline and `AND`."""
    return _READY_SQL.format(stores=stores, languages=languages, may_take=may_take)


def cart_reserve_sql(*, cart: str, aliases: dict[str, str] | None = None) -> str:
    """The UPDATE reserving the cart that `cart` (a statement choosing one id) names for `%(agent)s` until
    `%(until)s`, returning the handed-out columns of the cart, its customer and its store; `aliases` renames
    them (`cart_columns()` order), as a WITH query needs distinct names."""
    columns = cart_columns()
    returned = ", ".join(f"{column} AS {aliases[column]}" for column in columns) if aliases else ", ".join(columns)
    return _RESERVE_RETURNING_SQL.format(cart=cart.strip(), columns=returned)


def cart_reserve(*, cart_id: int, agent_id: int, until, now) -> None:
    """Lease a cart to an agent (a callback's cart, handed to whoever takes it)."""
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [agent_id, until, now, cart_id])


def cart_reservation_release(*, cart_id: int, agent_id: int) -> None:
    """End the agent's lease on a cart (a cart popped but not to be worked)."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_SQL, [cart_id, agent_id])


def carts_call_release_due(now) -> int:
    """Put the carts whose next call is due back in the ready queue; returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(RELEASE_DUE_SQL, [now])
        return cursor.rowcount


def _columns(model, alias: str) -> tuple[list, list[str]]:
    handed_out = _HANDED_OUT_FIELDS[model.__name__]
    fields = [field for field in model._meta.concrete_fields if field.attname in handed_out]
    return fields, [f'{alias}."{field.column}"' for field in fields]


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
    deferred, as `.only()` leaves it)."""
    converted = list(values)
    for index, convert in shape.converters:
        if converted[index] is not None:
            converted[index] = convert(converted[index], None, db)
    return instance_from_row(model, shape.attnames, converted, using=db.alias)


@lru_cache(maxsize=1)
def _returned() -> tuple[tuple[str, ...], tuple[_RowShape, _RowShape, _RowShape]]:
    """The columns a reserving statement returns (the cart, its customer, its store) and their shapes."""
    cart_fields, cart_columns = _columns(Cart, "cart")
    customer_fields, customer_columns = _columns(Customer, "customer")
    store_fields, store_columns = _columns(Store, "store")
    shapes = (_RowShape.of(cart_fields), _RowShape.of(customer_fields), _RowShape.of(store_fields))
    return (*cart_columns, *customer_columns, *store_columns), shapes


def cart_columns() -> tuple[str, ...]:
    """The qualified columns a reserving statement returns, in order (`cart."id"` first)."""
    return _returned()[0]


def cart_from_row(values, db) -> Cart | None:
    """The cart (with customer and store, as `select_related` loads them) from the returned columns, or None.
    `db`: the database (wrapper) the row was read from."""
    if values[0] is None:
        return None
    cart_shape, customer_shape, store_shape = _returned()[1]
    first, second = len(cart_shape.attnames), len(cart_shape.attnames) + len(customer_shape.attnames)
    cart = _hydrate(Cart, cart_shape, values[:first], db)
    cart.customer = _hydrate(Customer, customer_shape, values[first:second], db)
    cart.store = _hydrate(Store, store_shape, values[second:], db)
    return cart


@lru_cache(maxsize=2)
def _reserve_statement(name: str, cart_sql: str) -> PreparedStatement:
    return PreparedStatement(name, cart_reserve_sql(cart=cart_sql))


def cart_reserve_returning(name: str, cart_sql: str, params: dict) -> Cart | None:
    """Reserve the cart `cart_sql` chooses (a prepared statement named `name`); the cart it reserved, or
    None."""
    with connection.cursor() as cursor:
        _reserve_statement(name, cart_sql).execute(cursor, params)
        row = cursor.fetchone()
    return None if row is None else cart_from_row(row, cursor.db)
