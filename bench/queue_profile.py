"""Where one `next_cart` call spends its time, on one thread, against the floor's pop on the same data.

Run after a work-queue run that kept its data (`make bench-queue BENCH_ARGS="--keep-data --no-webhook"`):
`.venv/bin/python bench/queue_profile.py [--calls 2000] [--profile]`. As one agent it makes --calls pops of
the floor and of `next_cart`, alternating, each followed (untimed) by the bench's call, and
reports per call the wall time, the Python process's CPU time (`time.process_time`) and the rest, which is
the time spent waiting for PostgreSQL (its work and the round trips). --profile adds cProfile's top
functions for `next_cart`. The queue is put back afterwards, as the bench's phases leave it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != REPO_ROOT / "bench"]
sys.path.insert(0, str(REPO_ROOT))


def _measure(pops: dict, calls: int) -> dict[str, dict[str, float]]:
    """Each pop in turn, `calls` times: alternating, so that both step over the same called carts at the
    queue's head (which grow as the run goes on) and share whatever else the machine is doing."""
    wall, cpu = dict.fromkeys(pops, 0.0), dict.fromkeys(pops, 0.0)
    for _ in range(calls):
        for name, pop in pops.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            pop()
            cpu[name] += time.process_time() - started_cpu
            wall[name] += time.perf_counter() - started
    return {name: {"wall_ms": 1000 * wall[name] / calls, "python_ms": 1000 * cpu[name] / calls,
                   "waiting_ms": 1000 * (wall[name] - cpu[name]) / calls} for name in pops}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile next_cart's calls too")
    args = parser.parse_args()
    from bench import database, queue_data, queue_load, queue_run, queue_setup, services

    urls = services.service_urls()
    os.environ.update({"DATABASE_URL": urls.database, "REDIS_URL": urls.redis})
    database.django_setup()
    import psycopg
    from django.contrib.auth import get_user_model

    at = queue_data.fixed_instant(datetime.now(UTC))
    user = get_user_model().objects.filter(username=f"{queue_setup.AGENT_PREFIX}01").first()  # every store, en, es
    if user is None:
        sys.stderr.write("No bench data: run the queue bench with --keep-data first.\n")
        return 2
    queue_run.warm_up_process()
    pg = psycopg.connect(**queue_setup.connection_kwargs(), autocommit=True)
    params = {"agent": user.pk, "at": at}
    floor = lambda: queue_load._floor_pop(pg, params, None)  # noqa: E731
    nxt = lambda: queue_load.next_cart_pop(user, at, None)  # noqa: E731
    _measure({"floor": floor, "next_cart": nxt}, 50)  # warm: prepared statements, caches of the process
    results = _measure({"floor": floor, "next_cart": nxt}, args.calls)
    for name, figures in results.items():
        sys.stdout.write(f"{name:<10} wall {figures['wall_ms']:.3f} ms  python {figures['python_ms']:.3f} ms  "
                         f"waiting (PostgreSQL) {figures['waiting_ms']:.3f} ms per call\n")
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
