"""A PostgreSQL session lock that is taken or given up at once: for work that must not run twice at the same time
but may not hold a transaction open (it makes HTTP requests, or commits in batches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def session_try_lock(key: str) -> Iterator[bool]:
    """Yields whether this session got the lock named `key` (False: another holds it); released on the way out."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
