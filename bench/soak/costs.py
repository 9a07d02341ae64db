"""CPU cost per unit of the soak's work, measured in one process: what a webhook request, applying a delivery,
opening an abandoned cart and re-scoring one open cart each cost.

Run with `.venv/bin/python -m bench.soak.costs` (`--deliveries 3000`, `--profile` for the top functions of each
phase, `--smoke` for 200 deliveries). The soak (bench/soak/) shows whether the product keeps up on the machine; on
a shared machine its wall-clock figures move with the neighbours' load. CPU time does not: this script counts, per
unit, the CPU of this process (`time.process_time`) and of its PostgreSQL backend (psutil), so a change can be
judged by what it saves, whatever else runs beside it. It works in the benchmarks' scratch database (emptied before
and after), with the soak's stores and its stream of deliveries:

1. webhook: each delivery through Django's WSGI handler with every middleware, as gunicorn calls it;
2. apply: each stored delivery processed as the Celery task does (`delivery_process`);
3. open: each pending cart opened once its quiet time is up (`cart_open_if_abandoned`, which scores it);
4. re-score: beat's sweep over every open cart (`carts_reprioritize`), three times.

Messages the services queue (the abandonment checks) go to the bench's own Redis database, emptied at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from bench.common import RESULTS_DIR, cli, database, runner, services
from bench.soak import stores as soak_stores


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries in the stream (default 2000)")
    parser.add_argument("--profile", action="store_true", help="print each phase's top functions (cProfile)")
    parser.add_argument("--top", type=int, default=25, help="functions shown per phase with --profile")
    return cli.parse_args(parser, argv, smoke={"deliveries": 200})


class Meter:
    """CPU seconds of this process and of its database session's backend, between start and stop."""

    def __init__(self) -> None:
        import psutil
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self._backend = psutil.Process(cursor.fetchone()[0])

    def _backend_seconds(self) -> float:
        times = self._backend.cpu_times()
        return times.user + times.system

    def measure(self, work: Callable[[], int], *, profile: bool, top: int) -> dict:
        profiler = cProfile.Profile() if profile else None
        backend, python = self._backend_seconds(), time.process_time()
        if profiler:
            profiler.enable()
        units = work()
        if profiler:
            profiler.disable()
        python, backend = time.process_time() - python, self._backend_seconds() - backend
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
            sys.stdout.write(out.getvalue())
        per = max(1, units)
        return {"units": units, "python_ms": round(1000 * python / per, 3),
                "database_ms": round(1000 * backend / per, 3)}


def _environ(delivery, port: int = 80) -> dict:
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in delivery.headers().items()}
    headers.pop("HTTP_CONTENT_TYPE")
    return {**headers, "REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/shopify/", "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(delivery.body)), "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(port), "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(delivery.body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}


def send_webhooks(deliveries: list) -> int:
    """Every delivery through the WSGI application (all middleware), as a gunicorn sync worker runs it."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    statuses: list[str] = []
    for delivery in deliveries:
        response = application(_environ(delivery), lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()
    bad = [status for status in statuses if not status.startswith("200")]
    if bad:
        raise RuntimeError(f"{len(bad)} webhooks not answered 200: {sorted(set(bad))}")
    return len(statuses)


def apply_deliveries() -> int:
    from recovery.models import WebhookDelivery
    from recovery.services import delivery_process

    ids = list(WebhookDelivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True))
    for delivery_id in ids:
        delivery_process(delivery_id=delivery_id)
    return len(ids)


def open_carts(now) -> int:
    from recovery.models import Cart
    from recovery.services import cart_open_if_abandoned

    ids = list(Cart.objects.pending_abandonment().order_by("pk").values_list("pk", flat=True))
    return sum(cart_open_if_abandoned(cart_id=cart_id, now=now) for cart_id in ids)


def rescore(now, sweeps: int = 3) -> int:
    from recovery.services.rescoring import carts_reprioritize

    return sum(carts_reprioritize(now=now + timedelta(minutes=minute)) for minute in range(1, sweeps + 1))


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    urls = services.connect_django(stack)
    if urls.redis_is_bench_only:
        stack.callback(services.empty_queue, urls.redis)
    database.prepare()
    stack.callback(database.reset)
    soak_stores.create_stores()
    now = soak_stores.now_utc()
    areas = soak_stores.callable_areas(now, minutes=10) or list(range(len(soak_stores.AREA_CODES)))
    # Dated ahead, so every cart waits for its quiet time (pending) however long applying takes here; the
    # worker keeping up in the soak sees the same.
    start = now + timedelta(minutes=10)
    stream = soak_stores.build_stream(args.deliveries, rate=100.0, start=start, areas=areas)
    quiet = start + timedelta(seconds=args.deliveries / 100.0) + soak_stores.ABANDONMENT_DELAY * 2
    meter = Meter()
    send_webhooks(stream.deliveries[:50])  # warm-up: imports, URL resolver, prepared statements
    database.reset()
    database.prepare()
    soak_stores.create_stores()
    results = {}
    for name, work in (("webhook", lambda: send_webhooks(stream.deliveries)), ("apply", apply_deliveries),
                       ("open", lambda: open_carts(quiet)),
                       ("re-score (per cart)", lambda: rescore(quiet))):
        sys.stdout.write(f"{name}...\n")
        results[name] = meter.measure(work, profile=args.profile, top=args.top)
    sys.stdout.write(f"\nCPU per unit ({args.deliveries:,} deliveries, {len(stream.latest):,} checkouts, {stamp})\n")
    sys.stdout.write(f"{'unit':<22}{'count':>8}{'python ms':>12}{'database ms':>14}\n")
    for name, row in results.items():
        sys.stdout.write(f"{name:<22}{row['units']:>8,}{row['python_ms']:>12.3f}{row['database_ms']:>14.3f}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    return runner.run(execute, parse_args(argv), results_dir=RESULTS_DIR,
                      stopping="the embedded services")


if __name__ == "__main__":
    sys.exit(main())
