"""Database set-up and checks for a benchmark run, through Django in the run's own process.

Call `django_setup()` only once DATABASE_URL and REDIS_URL are in the
environment, so the settings use the servers this run holds. The benchmark
works in a scratch database of its own (`cart_recovery_bench` on the embedded
server, or BENCH_DATABASE_URL), emptied before and after each run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlsplit, urlunsplit

from bench.common import BENCH_SHOP_DOMAIN, BENCH_WEBHOOK_SECRET

BENCH_DATABASE = "cart_recovery_bench"
SETTLE_SECONDS = 1.0
SETTLE_TIMEOUT_SECONDS = 30.0


def django_setup() -> None:
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.common.settings"
    django.setup()


def bench_database_url(embedded_url: str) -> str:
    """The embedded server's scratch database for the benchmark, created on first use.

    The bench never writes to the development database: its rows would show up in the
    product's dashboards, its beat would process them, and compliance records they lead
    to are append-only, so they could not be removed afterwards. A database of its own
    can be emptied with TRUNCATE whatever the schema grows into.
    """
    import dj_database_url
    import psycopg

    parsed = dj_database_url.parse(embedded_url)
    with psycopg.connect(host=parsed["HOST"], port=parsed["PORT"] or None, user=parsed["USER"],
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return urlunsplit(urlsplit(embedded_url)._replace(path=f"/{BENCH_DATABASE}"))


# Tables with rows of one store and rows of every store (store_id NULL); a reset keeps the latter.
SHARED_ROWS = ("agents_frictionreason", "agents_valuepoint")


def prepare() -> None:
    """Migrate the bench database, empty it, and create the bench store."""
    from django.apps import apps as django_apps
    from django.core.management import call_command
    from django.db import connection

    from bench.common.floor import CREATE_TABLE_SQL
    from recovery.models import Platform, Store

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE_SQL)
    reset()
    # The shared friction reasons and value points as the migration seeds them (get-or-create), in case a reset
    # that did not keep them emptied this scratch database before.
    import_module("agents.migrations.0006_friction_taxonomy").seed(django_apps, None)
    Store.objects.create(
        name="Bench store", platform=Platform.SHOPIFY, shop_domain=BENCH_SHOP_DOMAIN,
        webhook_secret=BENCH_WEBHOOK_SECRET, currency="USD",
        control_group_share=0,  # every probe must reach an agent: no cart is held back as a control
    )


def reset() -> None:
    """Empty the floor table and every table that hangs off a store (inbox, carts, customers, ...).

    TRUNCATE, not DELETE: it follows foreign keys whatever models are added later, and it is
    not refused by the append-only triggers on audit tables (they guard rows, not the scratch
    database as a whole). A TRUNCATE ... CASCADE empties a referencing table whole, so the rows that
    belong to no store (the shared friction reasons and value points the migrations seed) are kept
    aside and put back.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        for table in SHARED_ROWS:
            cursor.execute(f"CREATE TEMP TABLE kept_{table} AS SELECT * FROM {table} WHERE store_id IS NULL")
        _truncate("recovery_store")
        for table in SHARED_ROWS:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM kept_{table}")
            cursor.execute(f"DROP TABLE kept_{table}")


def clear_measurements() -> None:
    """Empty the floor table and the inbox (after the warm-up); the store stays."""
    _truncate("recovery_webhookdelivery")


def _truncate(table: str) -> None:
    from django.db import connection

    from bench.common.floor import FLOOR_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}, {table} CASCADE")


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def _scalar(sql: str, params: list | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def floor_rows() -> int:
    from bench.common.floor import FLOOR_TABLE

    return _scalar(f"SELECT count(*) FROM {FLOOR_TABLE}")


@dataclass(frozen=True)
class InboxCounts:
    rows: int
    distinct_webhook_ids: int
    pending: int
    failed: int
    distinct_checkout_tokens: int
    carts: int


_INBOX_SQL = """
SELECT count(*), count(DISTINCT d.dedup_key),
       count(*) FILTER (WHERE d.status = 'pending'), count(*) FILTER (WHERE d.status = 'failed'),
       count(DISTINCT convert_from(d.raw_body, 'UTF8')::jsonb ->> 'token'),
       (SELECT count(*) FROM recovery_cart c WHERE c.store_id = s.id)
FROM recovery_store s LEFT JOIN recovery_webhookdelivery d ON d.store_id = s.id
WHERE s.shop_domain = %s
GROUP BY s.id
"""


def inbox_counts() -> InboxCounts:
    """What the bench store's inbox holds, counted by PostgreSQL (the ground truth for the checks)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_INBOX_SQL, [BENCH_SHOP_DOMAIN])
        return InboxCounts(*cursor.fetchone())


def delivery_rows() -> int:
    return _scalar(
        "SELECT count(*) FROM recovery_webhookdelivery d JOIN recovery_store s ON s.id = d.store_id "
        "WHERE s.shop_domain = %s", [BENCH_SHOP_DOMAIN],
    )


def pending_deliveries() -> int:
    return _scalar(
        "SELECT count(*) FROM recovery_webhookdelivery d JOIN recovery_store s ON s.id = d.store_id "
        "WHERE s.shop_domain = %s AND d.status = 'pending'", [BENCH_SHOP_DOMAIN],
    )


def settled(count: Callable[[], int]) -> int:
    """`count()` once it has stopped changing: requests still in gunicorn's backlog when the
    load generator stopped are still served, and must be counted before comparing."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    last = count()
    while time.monotonic() < deadline:
        time.sleep(SETTLE_SECONDS)
        current = count()
        if current == last:
            return current
        last = current
    return last
