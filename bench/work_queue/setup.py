"""Putting the work-queue benchmark's data in the bench database, and taking it out again.

The carts and customers go in with COPY on a plain psycopg connection (as `bench/dnc/run.py` loads its
registry), ids assigned here so carts can name their customers; stores, agents and the DNC list go
through the product's own models and services, since they are a handful of rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from bench.work_queue import data as queue_data
from bench.work_queue.data import LoadPlan

AGENT_PREFIX = "bench-agent-"
# The queue the phases pop from, as it was after loading: every phase starts from it.
SNAPSHOT_TABLE = "bench_queue_snapshot"


def connection_kwargs() -> dict:
    """Django's connection parameters, for the plain psycopg connections of the load and the floor."""
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return params


def create_stores() -> list[int]:
    from recovery.models import Platform, Store

    return [Store.objects.create(name=f"Queue store {number}", platform=Platform.SHOPIFY, currency="USD",
                                 shop_domain=f"queue-store-{number}.myshopify.com").pk
            for number in range(1, queue_data.STORES + 1)]


@dataclass(frozen=True)
class Agent:
    user_id: int
    name: str
    stores: tuple[int, ...]  # empty: every store
    languages: str


def _agent_profile(number: int, store_ids: list[int]) -> tuple[tuple[int, ...], str]:
    """One in ten agents works one store only, one in ten speaks Spanish too, one in ten only Spanish."""
    kind = number % 10
    if kind == 0:
        return (store_ids[number // 10 % len(store_ids)],), "en"
    return (), {1: "en, es", 2: "es"}.get(kind, "en")


def create_agent(name: str, *, stores: tuple[int, ...] = (), languages: str = "en") -> Agent:
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile

    user = get_user_model().objects.create(username=f"{AGENT_PREFIX}{name}")
    profile = AgentProfile.objects.create(user=user, languages=languages)
    if stores:
        profile.stores.set(stores)
    return Agent(user_id=user.pk, name=name, stores=stores, languages=languages)


def create_agents(count: int, store_ids: list[int]) -> list[Agent]:
    agents = []
    for number in range(count):
        stores, languages = _agent_profile(number, store_ids)
        agents.append(create_agent(f"{number:02d}", stores=stores, languages=languages))
    return agents


def _copy(pg: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Iterator[str]) -> None:
    with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        batch: list[str] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= queue_data.COPY_BATCH:
                copy.write("".join(batch))
                batch.clear()
        copy.write("".join(batch))


def _reserve_ids(pg: psycopg.Connection, table: str, count: int) -> int:
    """The first of `count` ids taken from the table's sequence, so later ORM inserts never collide."""
    sequence = pg.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table]).fetchone()[0]
    first = pg.execute("SELECT nextval(%s)", [sequence]).fetchone()[0]
    pg.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


_LINE_ITEMS_SQL = """
INSERT INTO recovery_cartlineitem (cart_id, position, title, sku, variant, product_id, variant_id, quantity,
                                   unit_price)
SELECT cart.id, item, (ARRAY['Trailhead E-Bike 500W', 'Carbon Helmet MIPS', 'Frame Bag 4L'])[item], 'SKU-' || item,
       'M / Slate', '75135942160' || item, '7513594216' || item || '0', 1,
       round(cart.total_value / (1 + cart.id % 3), 2)
FROM recovery_cart AS cart, generate_series(1, 1 + (cart.id % 3)::int) AS item
WHERE cart.status = 'open'
"""


def load(plan: LoadPlan) -> dict:
    """COPY the customers and carts, add line items to open carts, then VACUUM ANALYZE as autovacuum would
    have long since done on a table this size. Returns the seconds each step took."""
    timings: dict[str, float] = {}
    with psycopg.connect(**connection_kwargs(), autocommit=True) as pg:
        started = time.monotonic()
        first_customer = _reserve_ids(pg, "recovery_customer", plan.customers)
        first_cart = _reserve_ids(pg, "recovery_cart", plan.carts)
        with pg.transaction():
            _copy(pg, "recovery_customer", queue_data.CUSTOMER_COLUMNS,
                  queue_data.customer_rows(plan, first_customer))
            _copy(pg, "recovery_cart", queue_data.CART_COLUMNS,
                  queue_data.cart_rows(plan, first_cart, first_customer))
            pg.execute(_LINE_ITEMS_SQL)
        timings["copy_s"] = time.monotonic() - started
        started = time.monotonic()
        for table in ("recovery_customer", "recovery_cart", "recovery_cartlineitem"):
            pg.execute(f"VACUUM (ANALYZE) {table}")
        timings["vacuum_analyze_s"] = time.monotonic() - started
    return timings


def create_dnc_list(plan: LoadPlan) -> int:
    """The national list, fully imported a day before the run's instant (so not stale), holding 1% of the
    customers' numbers and some thousands of others; returns its size."""
    from compliance.models import DncList
    from compliance.services import dnc_add_numbers, dnc_list_get_or_create

    national, _ = dnc_list_get_or_create(name="national")
    listed = [queue_data.phone_number(index)[0] for index in range(plan.customers)
              if queue_data.has_phone(index) and queue_data.on_dnc_list(index)]
    others = [queue_data.phone_number(plan.customers + index)[0] for index in range(queue_data.DNC_OTHER_NUMBERS)]
    dnc_add_numbers(dnc_list=national, phones=listed + others, source="queue bench")
    imported = plan.at - timedelta(days=1)
    DncList.objects.filter(pk=national.pk).update(last_full_import_at=imported, last_import_at=imported)
    return len(listed) + len(others)


def queue_counts(at: datetime) -> dict[str, int]:
    """How the loaded carts split, counted by PostgreSQL, for the report."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*), count(*) FILTER (WHERE status = 'open'),
                   count(*) FILTER (WHERE status = 'open' AND route = 'call_first'),
                   count(*) FILTER (WHERE status = 'open' AND route = 'call_first' AND calls_ended_at IS NULL
                                    AND (reserved_until IS NULL OR reserved_until <= %s)
                                    AND (next_call_at IS NULL OR next_call_at <= %s))
            FROM recovery_cart""", [at, at])
        carts, open_carts, call_first, workable = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM recovery_customer")
        customers = cursor.fetchone()[0]
    return {"carts": carts, "customers": customers, "open": open_carts, "open_call_first": call_first,
            "workable_call_first": workable}


def snapshot_queue() -> None:
    """Remember the open call-first carts' cadence and lease columns, which the phases change."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT_TABLE}")
        cursor.execute(f"""CREATE TABLE {SNAPSHOT_TABLE} AS
            SELECT id, reserved_by_id, reserved_until, next_call_at, call_attempts, first_attempt_at
            FROM recovery_cart WHERE status = 'open' AND route = 'call_first'""")
        cursor.execute(f"ALTER TABLE {SNAPSHOT_TABLE} ADD PRIMARY KEY (id)")


def restore_queue() -> int:
    """Put the queue back as it was after loading, and vacuum away the phase's dead rows, so the next phase
    pops from the same queue in the same physical state; returns how many carts were put back."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE recovery_cart AS cart SET reserved_by_id = s.reserved_by_id, reserved_until = s.reserved_until,
                   next_call_at = s.next_call_at, call_attempts = s.call_attempts, first_attempt_at = s.first_attempt_at
            FROM {SNAPSHOT_TABLE} AS s
            WHERE cart.id = s.id AND (cart.reserved_by_id, cart.reserved_until, cart.next_call_at, cart.call_attempts)
                  IS DISTINCT FROM (s.reserved_by_id, s.reserved_until, s.next_call_at, s.call_attempts)""")
        restored = cursor.rowcount
        cursor.execute("VACUUM (ANALYZE) recovery_cart")
    return restored


def remove_everything_else() -> None:
    """What the bench's store truncation does not reach: the agents, the DNC lists and their entries, the
    snapshot (the carts and customers go with `bench.common.database.reset`)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT_TABLE}")
        cursor.execute("TRUNCATE compliance_dncentry, compliance_dncimport, compliance_dnclist CASCADE")
    get_user_model().objects.filter(username__startswith=AGENT_PREFIX).delete()
