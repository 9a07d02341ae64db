"""Run the whole product in the foreground: what `make run` calls.

Migrates, loads the demo data (idempotent), then starts the web server, two
Celery workers (the default queue, and ingestion's own), Celery beat and the
inbox dispatcher as child processes sharing this process's database and
broker. This process holds the embedded PostgreSQL and Redis (when no
DATABASE_URL / REDIS_URL is set), so they live exactly as long as it does.
Ctrl-C (or SIGTERM) stops the children, then the embedded services: nothing
is left running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

STOP_TIMEOUT_SECONDS = 15


class Command(BaseCommand):
    help = "Migrate, seed demo data, and run web server, Celery workers, beat and the inbox dispatcher until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-seed", action="store_true", help="Skip loading the demo data.")

    def handle(self, *args, port: int, host: str, no_seed: bool, **options):
        self._stopping = False
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo", verbosity=options["verbosity"])  # builds the dashboards' roll-ups too
        else:  # the dashboard reads roll-ups and never builds them; beat keeps today, this builds the rest once
            call_command("rollup_dashboards", verbosity=options["verbosity"])
        children = self._start_children(host=host, port=port)
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"Cart Recovery is running on {url}  (Ctrl-C stops everything)"))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._request_stop)
        failed = self._wait(children)
        self._stop(children)
        if failed:
            sys.exit(f"{failed} exited unexpectedly; everything was stopped.")
        self.stdout.write("Stopped web, the workers, beat and the inbox dispatcher; stopping embedded services.")

    def _request_stop(self, signum, frame) -> None:
        self._stopping = True

    def _commands(self, *, host: str, port: int) -> dict[str, list[str]]:
        python = sys.executable
        schedule = Path(settings.BASE_DIR) / "var" / "celerybeat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        return {
            "web": [python, "manage.py", "runserver", f"{host}:{port}"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2",
                       f"--queues={settings.DEFAULT_QUEUE}", "--hostname=worker@%h"],
            # Ingestion's own worker: webhook deliveries and carts going quiet never wait behind a sweep.
            "ingest": [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2",
                       f"--queues={settings.INGEST_QUEUE}", "--hostname=ingest@%h"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"],
            "inbox": [python, "manage.py", "dispatch_inbox"],
        }

    def _start_children(self, *, host: str, port: int) -> dict[str, subprocess.Popen]:
        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL}
        env.setdefault("LINK_BASE_URL", f"http://{host}:{port}")  # links in the demo's emails point here
        base_dir = Path(settings.BASE_DIR)
        # Each child gets its own process group so a stop reaches its own children too
        # (runserver's autoreloader, the worker's pool).
        return {
            # B603: fixed argument lists, no shell.
            name: subprocess.Popen(command, cwd=base_dir, env=env, start_new_session=True)  # nosec B603
            for name, command in self._commands(host=host, port=port).items()
        }

    def _wait(self, children: dict[str, subprocess.Popen]) -> str:
        while not self._stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    return name
            time.sleep(0.3)
        return ""

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
        for child in children.values():  # reap anything a child left in its group
            _signal_group(child, signal.SIGKILL)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)
