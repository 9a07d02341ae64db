"""The DNC benchmark's measurements: the COPY floor, `import_dnc` as a subprocess, and gate latency.

Each returns a plain dict (seconds, counts, megabytes) that goes into the results JSON as it is.
Django must be set up (bench/common/database.py) before the gate measurement is called.
"""

from __future__ import annotations

import contextlib
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg

from bench.common import REPO_ROOT, services
from bench.dnc.data import number

FLOOR_TABLE = "bench_dnc_floor"
RSS_SAMPLE_SECONDS = 0.05
GATE_WARMUP_CALLS = 200
MB = 1024 * 1024


def measure_floor(dsn: str, path: Path) -> dict:
    """The least any import of this file costs: a bare COPY of its raw lines into a one-column text table
    and that column's index, on a plain psycopg connection, with the server's default settings."""
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        pg.execute(f"CREATE TABLE {FLOOR_TABLE} (phone text NOT NULL)")
        start = time.perf_counter()
        with path.open("rb") as stream, pg.cursor() as cursor, cursor.copy(
            f"COPY {FLOOR_TABLE} (phone) FROM STDIN"
        ) as copy:
            while chunk := stream.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter()
        pg.execute(f"CREATE INDEX {FLOOR_TABLE}_phone ON {FLOOR_TABLE} (phone)")
        indexed = time.perf_counter()
        rows = pg.execute(f"SELECT count(*) FROM {FLOOR_TABLE}").fetchone()[0]
        pg.execute(f"DROP TABLE {FLOOR_TABLE}")
    return {"seconds": indexed - start, "copy_s": copied - start, "index_s": indexed - copied, "rows": rows}


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def _sample_peak_rss(process: subprocess.Popen) -> int:
    """The largest resident set of the process and its children, sampled until it exits."""
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):  # it may exit between poll() and the sample
            peak = max(peak, _tree_rss(watched))
        time.sleep(RSS_SAMPLE_SECONDS)
    return peak


def run_import_command(env: dict[str, str], path: Path, log_path: Path) -> dict:
    """`manage.py import_dnc PATH --list national --format ftc --replace`, timed end to end (Python start-up
    and Django set-up included), with its peak memory: sampled with psutil every 50 ms, and the kernel's
    own maximum for reaped children (exact, but a maximum over every child this script has run so far)."""
    command = [sys.executable, "manage.py", "import_dnc", str(path), "--list", "national", "--format", "ftc",
               "--replace"]
    with log_path.open("ab") as log:
        log.write(f"\n$ {' '.join(command)}\n".encode())
        log.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            peak = _sample_peak_rss(process)
        except BaseException:
            services.stop(process)
            raise
        seconds = time.perf_counter() - start
    children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return {"seconds": seconds, "exit_code": process.returncode, "peak_rss_mb": round(peak / MB, 1),
            "children_max_rss_mb": round(children_max / MB, 1)}


def _percentiles(timings: list[float]) -> dict:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p95_ms": cuts[94] * 1000, "p99_ms": cuts[98] * 1000,
            "max_ms": max(timings) * 1000}


def gate_sample(count: int, listed_count: int, *, seed: int = 7) -> list[tuple[str, bool]]:
    """`count` E.164 numbers, half on the list of `listed_count` numbers and half not, that phonenumbers
    calls valid (the gate turns away invalid numbers before it reaches the DNC lists)."""
    import phonenumbers

    rng, sample = random.Random(seed), []
    while len(sample) < count:
        listed = len(sample) % 2 == 0
        index = rng.randrange(listed_count) if listed else listed_count + rng.randrange(listed_count)
        phone = f"+1{number(index)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(phone, None)):
            sample.append((phone, listed))
    rng.shuffle(sample)
    return sample


def time_calls(call: Callable[[str], bool], sample: list[tuple[str, bool]]) -> dict:
    """Latency of `call(phone)` over the sample after a warm-up, and how often it disagreed with the list."""
    for phone, _listed in sample[:GATE_WARMUP_CALLS]:
        call(phone)
    timings, wrong = [], 0
    for phone, listed in sample:
        start = time.perf_counter()
        found = call(phone)
        timings.append(time.perf_counter() - start)
        wrong += found != listed
    return {"calls": len(sample), "wrong": wrong, **{k: round(v, 3) for k, v in _percentiles(timings).items()}}


DNC_LOOKUP_SQL = """
SELECT dnc_list.name FROM compliance_dnclist AS dnc_list
WHERE dnc_list.is_active AND EXISTS (SELECT FROM compliance_dncentry AS entry
                                     WHERE entry.dnc_list_id = dnc_list.id AND entry.phone = %s)
"""


def dnc_lookup() -> Callable[[str], bool]:
    """The gate's DNC lookup on its own (the part of compliance.selectors.contact_facts that probes each active
    list's partition), through Django's connection: is the number on the national list?"""
    from django.db import connection

    def lookup(phone: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(DNC_LOOKUP_SQL, [phone])
            return "national" in {row[0] for row in cursor.fetchall()}

    return lookup


def gate_call(store) -> Callable[[str], bool] | None:
    """check_contact for a voice call, as the dialler makes it (audit row included); True when it denied the
    call because of the national list. None while compliance.services does not export check_contact."""
    try:
        from compliance.services import check_contact
    except ImportError:
        return None
    failures = []

    def call(phone: str) -> bool:
        decision = check_contact(phone=phone, channel="voice", store=store)
        if {"internal_error", "audit_unavailable"} & set(decision.reasons):
            failures.append(decision.reasons)
        return "dnc_national" in decision.reasons

    call.failures = failures  # type: ignore[attr-defined]
    return call
