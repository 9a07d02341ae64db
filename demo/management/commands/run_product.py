"""Run the whole product in the foreground: what `make run` calls.

Migrates, loads the demo data (idempotent), then starts the web server, two
Celery workers (the default queue, and ingestion's own), Celery beat and the
inbox dispatcher as child processes sharing this process's database and
broker. Once web answers and both workers answer a ping, it prints one
banner (the address, the demo logins, how to stop) below the services'
start-up lines, where a first-time user looks. This process holds the embedded PostgreSQL and Redis (when no
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
import urllib.request
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.management.commands.seed_demo import demo_logins

STOP_TIMEOUT_SECONDS = 15
# How long the banner waits for web and the workers; a slow first start still gets it, with what is missing.
READY_TIMEOUT_SECONDS = 120
SETTLE_SECONDS = 1.0


class Command(BaseCommand):
    help = "Migrate, seed demo data, and run web server, Celery workers, beat and the inbox dispatcher until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--no-seed", action="store_true", help="Skip loading the demo data.")

    def handle(self, *args, port: int, host: str, no_seed: bool, **options):
        self._stopping = False
        # What is done before the services start says one line each; details at -v 2 (the banner has the logins).
        quiet = max(0, options["verbosity"] - 1)
        self.stdout.write("Preparing the database (migrations, demo data, dashboards' roll-ups)...")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo", verbosity=quiet)  # builds the dashboards' roll-ups too
        else:  # the dashboard reads roll-ups and never builds them; beat keeps today, this builds the rest once
            call_command("rollup_dashboards", verbosity=quiet)
        self.stdout.write("Starting web, the Celery workers, beat and the inbox dispatcher...")
        self.stdout.flush()  # before the children write to the same terminal
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._request_stop)
        children = self._start_children(host=host, port=port)
        waiting = self._wait_until_ready(children, port=port)
        if not self._stopping:
            self._banner(url=f"http://{host}:{port}/", seeded=not no_seed, waiting=waiting)
        failed = self._wait(children)
        self._stop(children)
        if failed:
            sys.exit(f"{failed} exited unexpectedly; everything was stopped.")
        self.stdout.write("Stopped web, the workers, beat and the inbox dispatcher; stopping embedded services.")

    def _request_stop(self, signum, frame) -> None:
        self._stopping = True

    def _wait_until_ready(self, children: dict[str, subprocess.Popen], *, port: int) -> list[str]:
        """Wait until web answers /healthz and both workers answer a ping (each has printed its start-up lines
        by then), so the banner is the last thing on the screen. Returns what is still not ready at the timeout
        (or when a child exits or Ctrl-C comes: the main loop then reports or stops)."""
        waiting = {"web": lambda: _healthy(port), "workers": _workers_ready}
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while waiting and not self._stopping and time.monotonic() < deadline:
            if any(child.poll() is not None for child in children.values()):
                break
            waiting = {name: ready for name, ready in waiting.items() if not ready()}
            if waiting:
                time.sleep(0.5)
        time.sleep(SETTLE_SECONDS)  # beat's and the dispatcher's first lines
        return list(waiting)

    def _banner(self, *, url: str, seeded: bool, waiting: list[str]) -> None:
        rule = "=" * 72
        lines = [rule, self.style.SUCCESS(f"  Cart Recovery is running on {url}")]
        if waiting:
            lines.append(self.style.WARNING(f"  Still starting after {READY_TIMEOUT_SECONDS} s: {', '.join(waiting)}"
                                            " (see the lines above)."))
        if seeded:
            lines += ["", "  Demo logins (username / password):", *(f"    {line}" for line in demo_logins())]
        else:
            lines += ["", "  Sign in with your own users (--no-seed: no demo data was loaded)."]
        lines += ["", "  Press Ctrl-C to stop everything: web, workers, beat, the dispatcher and the embedded",
                  "  PostgreSQL and Redis.", rule]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

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


def _healthy(port: int) -> bool:
    try:
        # B310: a fixed http URL on this machine.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # nosec B310
            return response.status == 200
    except OSError:
        return False


def _workers_ready() -> bool:
    """Both workers (the default queue's and ingestion's) answer a ping: each is consuming its queue."""
    try:
        replies = current_app.control.ping(timeout=1.0)
    except Exception:  # noqa: BLE001 - the broker not up yet is "not ready", whatever the transport raises
        return False
    names = {name.split("@")[0] for reply in replies for name in reply}
    return {"worker", "ingest"} <= names


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)
