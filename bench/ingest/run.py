"""Ingestion benchmark: signed Shopify webhooks over HTTP into gunicorn, against a measured floor.

Run with `make bench` (BENCH_ARGS="--duration 20 --process" to pass flags) or
`.venv/bin/python -m bench.ingest --help` (`--smoke`: 3 s per phase, the Python client in place of wrk). One run:

1. holds the embedded PostgreSQL and Redis, migrates a scratch database of its
   own (`cart_recovery_bench`, or BENCH_DATABASE_URL; never the development
   database), and creates the bench store with a known webhook secret;
2. starts gunicorn (2 sync workers, `bench.common.settings`) on a free port;
3. drives, with the same wrk settings, first the floor (`/bench/floor/`: verify
   the signature, one INSERT) and then the real endpoint (`/webhooks/shopify/`)
   at full speed (with --python-load: the paced Python client at --rate, no wrk needed), then the endpoint at a
   fixed rate from a paced Python client;
4. checks the inbox against what was sent (none lost, none stored twice, every
   redelivery answered "duplicate"), optionally lets a Celery worker drain it
   (`--process`), prints a table and writes bench/results/ingest-<time>.json (or into BENCH_RESULTS_DIR).

It exits non-zero when a target or a check fails. Everything it started is
stopped when it ends, also on Ctrl-C, and the bench database and queue are
emptied (unless `--keep-data`). The load generator shares the machine's cores with the server,
equally for the floor and the endpoint, so compare the ratio, not the raw rates.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.common import RESULTS_DIR, cli, database, loadgen, payloads, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, bench_roots
from bench.common.loadgen import PhaseResult
from bench.common.payloads import Delivery
from bench.ingest import report

FLOOR_PATH = "/bench/floor/"
ENDPOINT_PATH = "/webhooks/shopify/"
# wrk cycles through a fixed set of signed requests; this many per second of load keeps it from
# running out (repeats would be answered as duplicates, which the checks allow for, but distort the load).
WRK_POOL_PER_SECOND = 2500
WRK_POOL_MIN = 20_000
WARMUP_REQUESTS = 200
WARMUP_RATE = 400.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load phase (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections, 2 threads (default 16)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s of the fixed-rate phase (default 200)")
    parser.add_argument("--process", action="store_true", help="then let a Celery worker drain the inbox")
    parser.add_argument("--process-timeout", type=int, default=900, help="seconds to wait for the drain")
    parser.add_argument("--keep-data", action="store_true", help="leave the bench database filled, to inspect it")
    parser.add_argument("--python-load", action="store_true",
                        help="drive the two full-speed phases with the paced Python client at --rate, not wrk")
    return cli.parse_args(parser, argv, smoke={"duration": 3, "rate": 100.0, "python_load": True,
                                                  "process_timeout": 120})


@dataclass(frozen=True)
class Pools:
    """The requests each phase sends, generated and signed before any load starts."""

    warmup: list[Delivery]
    wrk: list[Delivery]
    wrk_file: Path
    paced: list[Delivery]


def build_pools(args: argparse.Namespace, workdir: Path) -> Pools:
    if args.python_load:  # the paced client sends each delivery of the pool once
        size = int(args.rate * args.duration)
    else:
        size = max(WRK_POOL_MIN, WRK_POOL_PER_SECOND * args.duration)
    wrk = payloads.build_deliveries(size, seed=1)
    wrk_file = workdir / "requests.tsv"
    payloads.write_wrk_file(wrk, wrk_file)
    paced = payloads.build_deliveries(int(args.rate * args.duration), seed=2)
    return Pools(warmup=payloads.build_deliveries(WARMUP_REQUESTS, seed=3), wrk=wrk, wrk_file=wrk_file, paced=paced)


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(env: dict[str, str], stamp: str, stack: ExitStack) -> Server:
    port = services.free_port()
    log = RESULTS_DIR / f"ingest-{stamp}-gunicorn.log"
    process = services.start_gunicorn(env, port, log)
    stack.callback(services.remove_if_empty, log)
    stack.callback(services.stop, process)
    server = Server(process=process, port=port)
    services.wait_healthy(server.base_url, process)
    return server


def warm_up(server: Server, pools: Pools) -> None:
    """Load every lazily imported module and open each worker's database and broker connections,
    then forget the warm-up traffic so the checks count only measured requests."""
    for path in (FLOOR_PATH, ENDPOINT_PATH):
        loadgen.run_paced("warm-up", "127.0.0.1", server.port, path, pools.warmup, rate=WARMUP_RATE)
    database.settled(database.delivery_rows)
    database.clear_measurements()


def measured(roots: list[int], phase: Callable[[], PhaseResult]) -> PhaseResult:
    meter = CpuMeter(roots)
    meter.start()
    result = phase()
    result.details["cpu"] = meter.stop()
    return result


def run_load(
    args: argparse.Namespace, server: Server, pools: Pools, roots: list[int]
) -> tuple[PhaseResult, int, PhaseResult, PhaseResult]:
    """The three phases in order; returns (floor, floor rows stored, endpoint at max, endpoint at rate)."""
    def full_speed(name: str, path: str) -> PhaseResult:
        if args.python_load:
            return loadgen.run_paced(f"{name} (Python, {args.rate:g}/s)", "127.0.0.1", server.port, path,
                                     pools.wrk[:int(args.rate * args.duration)], rate=args.rate)
        return loadgen.run_wrk(f"{name} (max)", server.base_url, path, pools.wrk_file,
                               connections=args.connections, duration=args.duration)

    floor = measured(roots, lambda: full_speed("floor", FLOOR_PATH))
    floor_rows = database.settled(database.floor_rows)
    endpoint = measured(roots, lambda: full_speed("endpoint", ENDPOINT_PATH))
    database.settled(database.delivery_rows)
    paced = measured(roots, lambda: loadgen.run_paced(
        f"endpoint @ {args.rate:g} req/s", "127.0.0.1", server.port, ENDPOINT_PATH, pools.paced, rate=args.rate))
    database.settled(database.delivery_rows)
    return floor, floor_rows, endpoint, paced


def _distinct(deliveries: list[Delivery]) -> set[str]:
    return {delivery.webhook_id for delivery in deliveries}


def verify(pools: Pools, floor: PhaseResult, floor_rows: int, endpoint: PhaseResult,
           paced: PhaseResult) -> list[report.Check]:
    """Compare what PostgreSQL holds with exactly what was sent."""
    if "wrk" in endpoint.details:
        per_thread_sent = endpoint.details["wrk"]["per_thread_sent"]
        wrk_sent = loadgen.wrk_sent_deliveries(pools.wrk, per_thread_sent)
        endpoint.details["pool_exhausted"] = loadgen.wrk_pool_exhausted(pools.wrk, per_thread_sent)
    else:  # --python-load: the paced client sent the pool's first deliveries, each once
        wrk_sent = pools.wrk[:endpoint.sent]
    endpoint.details["pool_size"] = len(pools.wrk)
    return report.integrity_checks(
        floor=floor, floor_rows=floor_rows, endpoint=endpoint,
        endpoint_redeliveries=len(wrk_sent) - len(_distinct(wrk_sent)),
        paced=paced, paced_redeliveries=len(pools.paced) - len(_distinct(pools.paced)),
        distinct_sent=len(_distinct(wrk_sent) | _distinct(pools.paced)), inbox=database.inbox_counts(),
    )


def process_inbox(env: dict[str, str], stamp: str, stack: ExitStack, timeout: int) -> dict:
    """Start the inbox dispatcher and a Celery worker on the waiting deliveries; time how long until none is
    pending.

    The time includes the worker's start-up; `first_progress_s` says how much of it that was.
    """
    log = RESULTS_DIR / f"ingest-{stamp}-celery.log"
    worker = services.start_celery_worker(env, log)
    dispatcher = services.start_inbox_dispatcher(env, log)
    stack.callback(services.remove_if_empty, log)
    stack.callback(services.stop, worker)
    stack.callback(services.stop, dispatcher)
    start = time.monotonic()
    initial = pending = database.pending_deliveries()
    first_progress = None
    while pending and time.monotonic() - start < timeout:
        time.sleep(0.5)
        pending = database.pending_deliveries()
        if first_progress is None and pending < initial:
            first_progress = time.monotonic() - start
    seconds = time.monotonic() - start
    counts = database.inbox_counts()
    return {
        "seconds": seconds, "first_progress_s": first_progress, "per_second": counts.rows / seconds if seconds else 0,
        "rows": counts.rows, "pending": counts.pending, "failed": counts.failed, "carts": counts.carts,
        "distinct_checkout_tokens": counts.distinct_checkout_tokens,
    }


def summary_lines(args: argparse.Namespace, floor: PhaseResult, endpoint: PhaseResult, processing: dict | None,
                  json_path: Path) -> list[str]:
    """The lines between the table and the checks: settings, the ratio, notes."""
    load = (f"paced Python client at {args.rate:g} req/s in place of wrk" if args.python_load else
            f"wrk: {endpoint.details['threads']} threads, {args.connections} connections")
    lines = [
        f"{load}, {args.duration} s per phase; gunicorn: 2 sync workers",
        f"endpoint/floor throughput ratio: {report.throughput_ratio(floor, endpoint):.2f}",
    ]
    if endpoint.details.get("pool_exhausted"):
        lines.append(f"note: wrk went through all {endpoint.details['pool_size']} pre-signed requests; "
                     "the repeats were answered as duplicates")
    if processing:
        lines.append(f"processing: {processing['rows']} deliveries drained in {processing['seconds']:.1f} s "
                     f"({processing['per_second']:.0f}/s incl. worker start-up)")
    lines.append(f"JSON: {cli.shown(json_path)}")
    return lines


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    """The whole run; everything started is registered on `stack`, which main() always closes."""
    urls = services.connect_django(stack)
    database.prepare()
    if not args.keep_data:
        stack.callback(cleanup_data, urls)
    pools = build_pools(args, Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ingest-"))))
    env = services.child_environment(urls)
    server = start_server(env, stamp, stack)
    warm_up(server, pools)
    floor, floor_rows, endpoint, paced = run_load(args, server, pools, bench_roots(urls.database, urls.redis))
    checks = [*report.target_checks(floor, endpoint, paced), report.quiet_check([floor, endpoint, paced])]
    checks += verify(pools, floor, floor_rows, endpoint, paced)
    processing = process_inbox(env, stamp, stack, args.process_timeout) if args.process else None
    checks += report.processing_checks(processing) if processing else []
    return publish(args, stamp, [floor, endpoint, paced], checks, processing)


def publish(args: argparse.Namespace, stamp: str, phases: list[PhaseResult], checks: list[report.Check],
            processing: dict | None) -> int:
    floor, endpoint, _ = phases
    json_path = RESULTS_DIR / f"ingest-{stamp}.json"
    report.write_json(json_path, started_at=stamp, arguments=vars(args), phases=phases, checks=checks,
                      ratio=report.throughput_ratio(floor, endpoint), processing=processing)
    lines = summary_lines(args, floor, endpoint, processing, json_path)
    lines += common_report.smoke_note(checks) if args.smoke else []
    sys.stdout.write(report.render(phases, checks, lines) + "\n")
    return common_report.exit_code(checks, smoke=args.smoke)


def cleanup_data(urls: services.ServiceUrls) -> None:
    """Empty the bench database and the bench queue, so nothing of the run lingers.

    The queue goes first: Redis needs a moment to drop the closed connection, and the
    embedded Redis only shuts down at exit if this process is its last client.
    """
    if urls.redis_is_bench_only:
        services.empty_queue(urls.redis)
    database.reset()


def main(argv: list[str] | None = None) -> int:
    """Exit code: 0 all checks passed, 1 a target or check failed, 2 the run broke, 130 interrupted."""
    logs = cli.shown(RESULTS_DIR)
    return runner.run(execute, parse_args(argv), results_dir=RESULTS_DIR,
                      stopping="gunicorn, the worker and the embedded services",
                      logs=lambda stamp: f"server and worker logs: {logs}/ingest-{stamp}-*.log")

