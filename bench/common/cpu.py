"""How much of the machine's CPU went to processes outside the benchmark during a phase.

The machine is small and shared: a test suite or a build running next to the
benchmark takes cores from the server and the load generator alike, and a
lower figure then says nothing about the code. Each phase therefore reports
the CPU time spent by everything else (machine-wide busy time minus the bench's
own processes: this script and what it ran, gunicorn and its workers, the
PostgreSQL server and its backends, Redis), so a disturbed run can be told apart.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from config.embedded import VAR_DIR


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - _iowait_seconds()


def _iowait_seconds() -> float:
    """Cores idle while waiting on the disk; every request commits (fsync), so a busy shared disk
    slows both endpoints without showing up as CPU."""
    return getattr(psutil.cpu_times(), "iowait", 0.0)


def _tree_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process in the trees rooted at `pids` (this script counts its reaped children)."""
    seconds: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                seconds[process.pid] = times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return seconds


def postgres_pid(pgdata: Path) -> int | None:
    """The postmaster of the embedded server (first line of postmaster.pid), if it runs here."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


@dataclass
class CpuMeter:
    """Call start() and stop() around a phase; stop() says what share of all cores others used."""

    roots: list[int]
    _wall: float = 0.0
    _busy: float = 0.0
    _own: dict[int, float] | None = None
    _iowait: float = 0.0

    def start(self) -> None:
        self._wall, self._busy, self._own = time.monotonic(), _busy_seconds(), _tree_seconds(self.roots)
        self._iowait = _iowait_seconds()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._wall
        busy = _busy_seconds() - self._busy
        before = self._own or {}
        own = sum(now - before.get(pid, 0.0) for pid, now in _tree_seconds(self.roots).items())
        capacity = wall * (os.cpu_count() or 1)
        return {
            "wall_s": round(wall, 2),
            "busy_pct": round(100 * busy / capacity, 1),
            "bench_pct": round(100 * own / capacity, 1),
            "other_pct": round(100 * max(0.0, busy - own) / capacity, 1),
            "iowait_pct": round(100 * (_iowait_seconds() - self._iowait) / capacity, 1),
        }


def redis_pid(redis_url: str) -> int | None:
    """The redis-server listening on the socket in `redis_url` (the embedded one), if any."""
    socket_path = redis_url.removeprefix("redis+socket://").split("?", 1)[0]
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "redis-server" and f"unixsocket:{socket_path}" in (process.info["cmdline"] or []):
            return process.pid
    return None


def bench_roots(database_url: str, redis_url: str) -> list[int]:
    """The processes whose CPU is the bench's own: this script (with gunicorn and its workers), Redis, and of the
    embedded PostgreSQL its background processes and the sessions on the bench database only; sessions of other
    databases (a test suite run next to the bench shares the server) count as other work."""
    database_name = urlsplit(database_url).path.lstrip("/")
    roots = [os.getpid(), redis_pid(redis_url)]
    postmaster = postgres_pid(VAR_DIR / "postgres")
    if postmaster:
        try:
            for child in psutil.Process(postmaster).children():
                words = " ".join(child.cmdline()).split()
                is_session = len(words) >= 4 and (words[3] == "[local]" or words[3][:1].isdigit())
                if not is_session or words[2] == database_name:
                    roots.append(child.pid)
        except psutil.Error:
            pass
    return [pid for pid in roots if pid]
