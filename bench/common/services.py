"""The processes a benchmark run needs, started here and always stopped here.

The run itself holds the embedded PostgreSQL and Redis (unless BENCH_DATABASE_URL /
REDIS_URL point elsewhere), exactly like `make run`: they stop when it exits. gunicorn
and the Celery worker get their own process groups, so a Ctrl-C in the terminal
reaches only the benchmark, which then stops them (workers included) before the
database goes away.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

from bench.common import REPO_ROOT, database
from bench.common.database import bench_database_url
from bench.common.sessions import ACCESS_LOG_FORMAT
from config.embedded import embedded_database_url, embedded_redis_url

BIN = Path(sys.executable).parent
STOP_TIMEOUT_SECONDS = 15
# Bench traffic queues its Celery messages in its own Redis database, which is emptied
# at the end, so a later `make run` worker never sees tasks for deliveries that are gone.
BENCH_REDIS_DB = 15


@dataclass(frozen=True)
class ServiceUrls:
    database: str
    redis: str
    redis_is_bench_only: bool  # True when the queue is ours alone and may be emptied afterwards


def service_urls() -> ServiceUrls:
    """BENCH_DATABASE_URL (a scratch database: it is emptied) or the embedded server's bench
    database, and REDIS_URL or the embedded Redis; embedded servers are held by this process."""
    database_url = os.environ.get("BENCH_DATABASE_URL") or bench_database_url(embedded_database_url())
    if os.environ.get("REDIS_URL"):
        return ServiceUrls(database_url, os.environ["REDIS_URL"], redis_is_bench_only=False)
    redis_url = f"{embedded_redis_url()}?virtual_host={BENCH_REDIS_DB}"
    return ServiceUrls(database_url, redis_url, redis_is_bench_only=True)


def connect_django(stack: ExitStack) -> ServiceUrls:
    """The services' URLs (servers started or found) and Django set up on the scratch database; its connections
    are closed when `stack` closes."""
    urls = service_urls()
    os.environ.update({"DATABASE_URL": urls.database, "REDIS_URL": urls.redis})
    database.django_setup()
    stack.callback(database.close_connections)
    return urls


def child_environment(urls: ServiceUrls) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": urls.database,
        "REDIS_URL": urls.redis,
        "DJANGO_SETTINGS_MODULE": "bench.common.settings",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log_path: Path, *, workers: int = 2,
                   access_log: Path | None = None, timeout_s: int | None = None) -> subprocess.Popen:
    """gunicorn as production runs it (sync workers, 2 unless told); with `access_log`, each request's `X-Bench`
    tag, status and time in the worker (`bench.common.sessions.ACCESS_LOG_FORMAT`); `timeout_s` for pages that must
    be measured however slow, rather than killed at gunicorn's default 30 s."""
    command = [
        str(BIN / "gunicorn"), "config.wsgi:application", "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048",
    ]
    if access_log is not None:
        command += ["--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT]
    if timeout_s is not None:
        command += ["--timeout", str(timeout_s)]
    return start(command, env, log_path)


def start_celery_worker(env: dict[str, str], log_path: Path, *, queues: str = "", name: str = "bench",
                        concurrency: int = 2) -> subprocess.Popen:
    """A Celery worker serving `queues` (comma-separated; empty: every queue); `name` tells two apart."""
    command = [
        str(BIN / "python"), "-m", "celery", "-A", "config", "worker", f"--concurrency={concurrency}",
        "--loglevel=WARNING", f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
        *([f"--queues={queues}"] if queues else []),
    ]
    return start(command, env, log_path)


def start_inbox_dispatcher(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The process that turns inbox notifications into Celery tasks (as `make run` runs it)."""
    return start([str(BIN / "python"), "manage.py", "dispatch_inbox", "--verbosity=0"], env, log_path)


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_healthy(base_url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Block until /healthz answers 200 (database and broker reachable), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} before answering /healthz")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url}/healthz did not answer 200 within {timeout:.0f} s")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM the process group (graceful), SIGKILL what is left after the timeout."""
    if process is None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()
    _signal_group(process, signal.SIGKILL)  # anything the leader left in its group


def remove_if_empty(log_path: Path) -> None:
    """A server that logged nothing at WARNING leaves no file behind."""
    if log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def empty_queue(redis_url: str) -> None:
    """Drop every message in the bench's own Redis database: queued, scheduled (ETA) and unacknowledged."""
    from kombu import Connection

    with Connection(redis_url) as connection:
        client = connection.default_channel.client
        client.flushdb()
        # kombu leaves pooled connections open; the embedded Redis only stops at exit if none is.
        client.connection_pool.disconnect()
