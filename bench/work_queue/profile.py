"""Where one `next_cart` call spends its time, on one thread, against the floor's pop on the same data.

Run after a work-queue run that kept its data (`make bench-queue BENCH_ARGS="--keep-data --no-webhook"`):
`.venv/bin/python -m bench.work_queue.profile [--calls 2000] [--profile]`. As one agent it makes --calls pops of
the floor and of `next_cart`, alternating, each followed (untimed) by the bench's call, and
reports per call the wall time, the Python process's CPU time (`time.process_time`), the rest, which is
the time spent waiting for PostgreSQL (its work and the round trips), and the CPU time PostgreSQL's backend
spent on the call (its `/proc/<pid>/schedstat`: the embedded server runs on this machine), which other
processes' load does not inflate as it does the waiting. For `next_cart` it also reports, per call, each
statement's count and backend CPU (reading them adds a few hundredths of a millisecond to its Python), the
carts the gate read its own facts for, and how often each prepared statement was planned. --profile adds cProfile's top
functions for `next_cart`. The queue is put back afterwards, as the bench's phases leave it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg

from bench.common import database, services
from bench.work_queue import data as queue_data
from bench.work_queue import load as queue_load
from bench.work_queue import run as queue_run
from bench.work_queue import setup as queue_setup


def backend_cpu_ns(pid: int) -> int:
    """CPU time a PostgreSQL backend has run for, in nanoseconds (the first field of its schedstat)."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0])


class StatementMeter:
    """A Django execute wrapper counting each statement and the backend CPU it took, by statement: a
    prepared statement by its name (its session's serial number left out), any other by its first words."""

    def __init__(self, backend_pid: int) -> None:
        self.pid, self.count, self.cpu_ns = backend_pid, Counter(), Counter()

    def __call__(self, execute, sql, params, many, context):
        match = re.match(r"(EXECUTE|PREPARE) (\w+?)_\d+", sql)
        key = match[2] if match and match[1] == "EXECUTE" else (f"PREPARE {match[2]}" if match else
                                                                 " ".join(sql.split()[:4])[:60])
        started = backend_cpu_ns(self.pid)
        try:
            return execute(sql, params, many, context)
        finally:
            self.count[key] += 1
            self.cpu_ns[key] += backend_cpu_ns(self.pid) - started


def _measure(pops: dict, calls: int, backends: dict[str, int]) -> dict[str, dict[str, float]]:
    """Each pop in turn, `calls` times: alternating, so that both step over the same called carts at the
    queue's head (which grow as the run goes on) and share whatever else the machine is doing."""
    wall, cpu, server = dict.fromkeys(pops, 0.0), dict.fromkeys(pops, 0.0), dict.fromkeys(pops, 0)
    for _ in range(calls):
        for name, pop in pops.items():
            started_server = backend_cpu_ns(backends[name])
            started, started_cpu = time.perf_counter(), time.process_time()
            pop()
            cpu[name] += time.process_time() - started_cpu
            wall[name] += time.perf_counter() - started
            server[name] += backend_cpu_ns(backends[name]) - started_server
    return {name: {"wall_ms": 1000 * wall[name] / calls, "python_ms": 1000 * cpu[name] / calls,
                   "waiting_ms": 1000 * (wall[name] - cpu[name]) / calls,
                   "postgres_ms": server[name] / calls / 1e6} for name in pops}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile next_cart's calls too")
    args = parser.parse_args(argv)

    urls = services.service_urls()
    os.environ.update({"DATABASE_URL": urls.database, "REDIS_URL": urls.redis})
    database.django_setup()
    from django.contrib.auth import get_user_model

    at = queue_data.fixed_instant(datetime.now(UTC))
    user = get_user_model().objects.filter(username=f"{queue_setup.AGENT_PREFIX}01").first()  # every store, en, es
    if user is None:
        sys.stderr.write("No bench data: run the queue bench with --keep-data first.\n")
        return 2
    from django.db import connection

    queue_run.warm_up_process()
    pg = psycopg.connect(**queue_setup.connection_kwargs(), autocommit=True)
    connection.ensure_connection()
    backends = {"floor": pg.info.backend_pid, "next_cart": connection.connection.info.backend_pid}
    params = {"agent": user.pk, "at": at}
    floor = lambda: queue_load._floor_pop(pg, params, None)  # noqa: E731
    nxt = lambda: queue_load.next_cart_pop(user, at, None)  # noqa: E731
    _measure({"floor": floor, "next_cart": nxt}, 50, backends)  # warm: prepared statements, process caches
    meter = StatementMeter(backends["next_cart"])
    with connection.execute_wrapper(meter):
        results = _measure({"floor": floor, "next_cart": nxt}, args.calls, backends)
    for name, figures in results.items():
        sys.stdout.write(f"{name:<10} wall {figures['wall_ms']:.3f} ms  python {figures['python_ms']:.3f} ms  "
                         f"waiting (PostgreSQL) {figures['waiting_ms']:.3f} ms  "
                         f"PostgreSQL's CPU {figures['postgres_ms']:.3f} ms per call\n")
    sys.stdout.write("next_cart's statements per call (count, PostgreSQL's CPU ms); carts the gate read its own "
                     "facts for (the ones after a refused first cart, or whose stored number digest did not match) "
                     f"per call: {meter.count['compliance_contact_facts'] / args.calls:.2f}\n")
    for key, count in meter.count.most_common():
        sys.stdout.write(f"  {count / args.calls:6.3f}  {meter.cpu_ns[key] / args.calls / 1e6:7.3f}  {key}\n")
    with connection.cursor() as cursor:  # a custom plan is a statement planned again at each EXECUTE
        cursor.execute("SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name")
        plans = cursor.fetchall()
    sys.stdout.write("next_cart's session's prepared statements (generic plans, custom plans): "
                     + ", ".join(f"{name} ({generic}, {custom})" for name, generic, custom in plans) + "\n")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.calls):
            nxt()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        sys.stdout.write(out.getvalue())
    pg.close()
    queue_setup.restore_queue()
    return 0


if __name__ == "__main__":
    sys.exit(main())
