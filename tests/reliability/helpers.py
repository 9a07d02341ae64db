"""Helpers for the reliability tests: threads with their own connections, and the database made unreachable."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import psycopg
from django.db import connection, connections


def run_concurrently(calls: list[Callable]) -> list:
    """Run each call in its own thread (and so its own database connection), released together."""
    results: list = [None] * len(calls)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def worker(index: int, call: Callable) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _superuser_connection() -> psycopg.Connection:
    """A connection to the server's `postgres` database, which stays reachable while ours is blocked."""
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "dbname"):
        params.pop(key, None)
    return psycopg.connect(**params, dbname="postgres", autocommit=True)


@contextlib.contextmanager
def database_unavailable() -> Iterator[None]:
    """Make the test database really unreachable: new connections are refused and every open one is cut.

    `ALLOW_CONNECTIONS false` on this test run's own database (TEST_DATABASE_NAME), so nobody else's is
    touched; restored on the way out, whatever happens inside.
    """
    name = connection.settings_dict["NAME"]
    with _superuser_connection() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            connections.close_all()  # this thread's connection was cut: the next query opens a new one
