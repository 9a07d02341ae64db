"""The soak's run, step by step (bench/soak/__init__.py describes it)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from bench.common import RESULTS_DIR, cli, database, loadgen, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, bench_roots
from bench.console import data as console_data
from bench.console import run as console_run
from bench.soak import agents as soak_agents
from bench.soak import report as soak_report
from bench.soak import stores as soak_stores
from bench.soak import verify as soak_verify
from bench.work_queue import setup as queue_setup

HOST = "127.0.0.1"
ENDPOINT_PATH = "/webhooks/shopify/"
STREAM_LEAD_S = 5.0  # the first delivery is due this long after the stream is generated
AGENT_LANGUAGES = ("en", "en", "en", "en, es")
# As production runs them: ingestion's worker (its own queue) and the default queue's (beat's sweeps, messages).
INGEST_PROCESSES, DEFAULT_PROCESSES = 2, 1


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--agents", type=int, default=50, help="simulated agents (default 50)")
    parser.add_argument("--rate", type=float, default=100.0, help="webhooks per second, all stores (default 100)")
    parser.add_argument("--workers", type=int, default=4, help="the agents' gunicorn sync workers (default 4)")
    parser.add_argument("--intake-workers", type=int, default=2,
                        help="the webhook intake's gunicorn sync workers (default 2), which the stores send to")
    parser.add_argument("--store-connections", type=int, default=64,
                        help="connections the stores send on at once (default 64: Shopify does not wait for one "
                             "delivery's answer before sending the next)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.3, 1.0), metavar=("MIN", "MAX"),
                        help="seconds an agent takes between two actions (default 0.3 1.0)")
    parser.add_argument("--grace", type=float, default=60.0, help="seconds the agents get to wrap up at the end")
    parser.add_argument("--drain-timeout", type=float, default=300.0,
                        help="seconds to wait for the worker to process what was sent (default 300)")
    parser.add_argument("--keep-data", action="store_true", help="leave the bench database filled, to inspect it")
    return cli.parse_args(parser, argv, smoke={"duration": 15.0, "agents": 5, "rate": 10.0, "workers": 2,
                                                  "intake_workers": 1, "store_connections": 8, "grace": 10.0,
                                                  "drain_timeout": 120.0})


def start_product(args: argparse.Namespace, stamp: str, urls: services.ServiceUrls, stack: ExitStack,
                  workdir: Path) -> tuple[int, int]:
    """As production runs it: the agents' gunicorn (--workers sync workers) and the webhook intake's
    (--intake-workers), each with an access log of each request's kind, status and time, ingestion's Celery
    worker and the default queue's, beat, the inbox dispatcher. Mail and texts go nowhere. Returns the two
    gunicorns' ports (agents', intake's)."""
    port, intake_port = services.free_port(), services.free_port()
    env = {**services.child_environment(urls), "LINK_BASE_URL": f"http://{HOST}:{port}",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "SMS_FILE_PATH": str(workdir / "sms.jsonl")}
    logs = {name: RESULTS_DIR / f"soak-{stamp}-{name}.log" for name in ("gunicorn", "celery")}
    for log in logs.values():
        stack.callback(services.remove_if_empty, log)
    pools = []
    for pool_port, workers in ((port, args.workers), (intake_port, args.intake_workers)):
        pools.append(services.start_gunicorn(env, pool_port, logs["gunicorn"], workers=workers,
                                             access_log=workdir / f"access-{pool_port}.log"))
        stack.callback(services.stop, pools[-1])
    beat = [str(services.BIN / "python"), "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING",
            f"--schedule={workdir / 'celerybeat-schedule'}"]
    from django.conf import settings

    workers = (services.start_celery_worker(env, logs["celery"], queues=settings.INGEST_QUEUE, name="ingest",
                                            concurrency=INGEST_PROCESSES),
               services.start_celery_worker(env, logs["celery"], queues=settings.DEFAULT_QUEUE, name="default",
                                            concurrency=DEFAULT_PROCESSES))
    others = (services.start_inbox_dispatcher(env, logs["celery"]), services.start(beat, env, logs["celery"]))
    for process in (*workers, *others):
        stack.callback(services.stop, process)
    for pool_port, pool in zip((port, intake_port), pools, strict=True):
        services.wait_healthy(f"http://{HOST}:{pool_port}", pool)
    return port, intake_port


def create_agents(count: int, store_ids: list[int], session_keys: list[str]) -> list[soak_agents.SoakAgent]:
    """Recovery specialists signed in (a session and a CSRF cookie each); one in ten works one store only."""
    from django.contrib.auth import get_user_model

    agents = []
    for number in range(count):
        stores = (store_ids[number // 10 % len(store_ids)],) if number % 10 == 0 else ()
        made = queue_setup.create_agent(f"soak-{number:02d}", stores=stores,
                                        languages=AGENT_LANGUAGES[number % len(AGENT_LANGUAGES)])
        user = get_user_model().objects.get(pk=made.user_id)
        session_key, csrf = console_data.sign_in(user)
        session_keys.append(session_key)
        agents.append(soak_agents.SoakAgent(user.pk, user.username, session_key, csrf))
    console_data.make_specialists(agents)
    return agents


def run_load(args: argparse.Namespace, port: int, intake_port: int, agents: list,
             urls: services.ServiceUrls) -> dict:
    """Agents warm up; the stream is generated and its DNC numbers listed; then webhooks and agents together."""
    from django.conf import settings

    floor = soak_agents.Floor(HOST, port, agents, settings.SESSION_COOKIE_NAME, think_s=tuple(args.think),
                              idle_s=(1.0, 2.0))
    # The stores: a process of their own.
    sender = loadgen.PacedSender("webhooks", HOST, intake_port, ENDPOINT_PATH, threads=args.store_connections)
    floor.warm_up()
    areas = soak_stores.callable_areas(soak_stores.now_utc(), minutes=(args.duration + args.grace) / 60 + 5)
    if not areas:
        raise RuntimeError("no bench area code is inside its calling hours now: nothing could be called")
    start = soak_stores.now_utc() + timedelta(seconds=STREAM_LEAD_S)
    stream = soak_stores.build_stream(int(args.rate * args.duration), rate=args.rate, start=start, areas=areas)
    listed = soak_stores.create_dnc_list(stream.dnc_numbers, soak_stores.now_utc())
    lag = (soak_stores.now_utc() - start).total_seconds()
    sender.send(stream.deliveries, rate=args.rate, start_at=start.timestamp())
    time.sleep(max(0.0, -lag))
    sys.stdout.write(f"Load: {args.agents} agents, {args.rate:g} webhooks/s for {args.duration:g} s "
                     f"({len(stream.deliveries):,} deliveries, {len(stream.latest):,} checkouts)...\n")
    meter = CpuMeter(bench_roots(urls.database, urls.redis))
    meter.start()
    floor.go()
    floor.wait_out(args.duration)
    webhooks = sender.result(timeout=args.duration + 2 * loadgen.PACED_TIMEOUT_SECONDS + 60)
    cpu = meter.stop()
    sys.stdout.write(f"  load done; agents wrapping up (up to {args.grace:g} s)...\n")
    timings = floor.wind_down(args.grace)
    return {"floor": floor, "stream": stream, "webhooks": webhooks, "cpu": cpu, "timings": timings,
            "areas": soak_stores.local_times(areas, soak_stores.now_utc()), "dnc_numbers": listed,
            "stream_lag_s": round(max(0.0, lag), 2)}


def verify(load: dict, agent_ids: list[int], drain_timeout: float) -> dict:
    sys.stdout.write("  waiting for the worker to process everything sent...\n")
    drained = soak_verify.wait_drained(drain_timeout)
    stream, record = load["stream"], load["floor"].record
    return {"drained": drained, "inbox": soak_verify.inbox(stream), "carts": soak_verify.carts(stream),
            "calls": soak_verify.calls(agent_ids, record)}


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    urls = services.connect_django(stack)
    database.prepare()
    session_keys: list[str] = []
    cleanup_data(None, session_keys)  # what an interrupted earlier run may have left, but the fresh bench store
    if not args.keep_data:
        stack.callback(cleanup_data, urls, session_keys)
    store_ids = soak_stores.create_stores()
    agents = create_agents(args.agents, store_ids, session_keys)
    database.close_connections()
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-bench-")))
    sys.stdout.write(f"Starting the product: gunicorn for the agents ({args.workers} workers) and for the webhook "
                     f"intake ({args.intake_workers}), Celery workers (ingestion, default queue) and beat, the inbox "
                     "dispatcher...\n")
    port, intake_port = start_product(args, stamp, urls, stack, workdir)
    load = run_load(args, port, intake_port, agents, urls)
    found = verify(load, [agent.user_id for agent in agents], args.drain_timeout)
    return publish(args, stamp, load, found, soak_report.server_times(sorted(workdir.glob("access-*.log"))))


def publish(args: argparse.Namespace, stamp: str, load: dict, found: dict, server: dict) -> int:
    floor, webhooks, stream = load["floor"], load["webhooks"], load["stream"]
    seconds = load["timings"]["load_s"]
    table = soak_report.kinds(floor.record, server, seconds)
    webhook_row = {"client": {"count": webhooks.answered, "p50_ms": webhooks.p50_ms, "p95_ms": webhooks.p95_ms,
                              "p99_ms": webhooks.p99_ms},
                   "server": soak_report.stats(server.get("webhook", {}).get("ms", [])),
                   "per_second": round(webhooks.throughput, 1), "errors": webhooks.errors,
                   "statuses": webhooks.details["statuses"]}
    checks = soak_report.checks(webhooks=webhooks, stream=stream, record=floor.record, warm_up=floor.warm_up_record,
                                drained=found["drained"], inbox=found["inbox"], carts=found["carts"],
                                calls=found["calls"], floor=load["timings"])
    json_path = RESULTS_DIR / f"soak-{stamp}.json"
    record = {"started_at": stamp, "arguments": vars(args), "timings": load["timings"], "cpu": load["cpu"],
              "areas": load["areas"], "stream_lag_s": load["stream_lag_s"], "dnc_numbers": load["dnc_numbers"],
              "webhooks": webhook_row, "agents": table, **found,
              "agent_errors": floor.record.errors[:50] + floor.warm_up_record.errors[:10],
              "gate_refusals": dict(floor.record.refusals), "refusal_samples": floor.record.refusal_samples,
              "idle_asks": floor.record.idle_asks,
              "links_sent": floor.record.links_sent, "server_statuses": {kind: dict(entry["statuses"])
                                                                         for kind, entry in server.items()}}
    common_report.write_json(json_path, record, checks)
    sys.stdout.write("\n" + soak_report.render(webhook_row, table, floor.record, checks,
                                               _notes(args, load, found, json_path)
                                               + (common_report.smoke_note(checks) if args.smoke else [])) + "\n")
    return common_report.exit_code(checks, smoke=args.smoke)


def _notes(args: argparse.Namespace, load: dict, found: dict, json_path: Path) -> list[str]:
    from django.conf import settings

    stream, cpu, carts, calls = load["stream"], load["cpu"], found["carts"], found["calls"]
    timing, lag, quiet = calls["timing"], found["inbox"]["processing_lag_s"], carts["quiet_to_workable_s"]
    return [
        f"load: {load['timings']['load_s']} s, then {load['timings']['wind_down_s']} s for the calls in hand; "
        f"gunicorn {args.workers} sync workers for the agents and {args.intake_workers} for the webhook intake, "
        f"Celery workers (niceness {settings.WORKER_NICENESS}) for ingestion ({INGEST_PROCESSES} processes) and "
        f"the default queue ({DEFAULT_PROCESSES}), beat, the inbox dispatcher",
        f"stores: {len(soak_stores.STORES)} Shopify, {len(stream.deliveries):,} deliveries "
        f"({stream.count('redelivery')} redeliveries, {stream.count('replay')} replays) for "
        f"{len(stream.latest):,} checkouts; area codes in calling hours: {', '.join(load['areas'])}",
        f"carts: {carts['by_status']}; open call first (not control) {carts['call_first_open']:,}; "
        f"{load['dnc_numbers']} numbers on the DNC list",
        f"agents: {calls['handed_to_agents']:,} carts handed out, {calls['dials_db']:,} dialed, "
        f"{calls['dials_refused']} dials refused by the gate, {load['floor'].record.links_sent} links emailed, "
        f"{load['floor'].record.idle_asks} asks with nothing to call; refusals: {dict(load['floor'].record.refusals)}",
        f"worker: received -> processed p50 {lag['p50']} s / p95 {lag['p95']} s / max {lag['max']} s; quiet -> "
        f"workable p50 {quiet['p50']} s / p95 {quiet['p95']} s ({quiet['count']:,} carts); of the carts called, "
        f"workable -> first call p50 {timing['workable_to_first_call_s']['p50']} s / p95 "
        f"{timing['workable_to_first_call_s']['p95']} s",
        f"CPU during the load: bench {cpu['bench_pct']}%, other processes {cpu['other_pct']}%, "
        f"iowait {cpu['iowait_pct']}% of {os.cpu_count()} cores; drained in {found['drained']['seconds']} s",
        f"JSON: {cli.shown(json_path)}",
    ]


def cleanup_data(urls: services.ServiceUrls | None, session_keys: list[str]) -> None:
    """The console benchmark's clean-up (the Redis queue, the stores with everything on them, agents, DNC lists,
    sessions, the gate's decisions), then the agents' status log, opt-outs, consents and beat's roll-ups.
    Without `urls` (the start of a run), the fresh bench store and the queue stay."""
    from django.apps import apps
    from django.db import connection

    if urls is None:
        queue_setup.remove_everything_else()
        console_data.remove_everything_else(session_keys)
    else:
        console_run.cleanup_data(urls, session_keys)
    from compliance.models import AuditEvent, ConsentRecord, OptOut

    # Opt-outs, consents and the audit trail name their store or actor without a foreign key, so the stores'
    # truncation misses them.
    models = [OptOut, ConsentRecord, AuditEvent, *apps.get_app_config("dashboards").get_models()]
    tables = ", ".join(model._meta.db_table for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE agents_agentstatuschange, {tables}")


def main(argv: list[str] | None, *, description: str) -> int:
    return runner.run(execute, parse_args(argv, description), results_dir=RESULTS_DIR,
                      stopping="gunicorn, the worker, beat, the dispatcher and the embedded services",
                      logs=lambda stamp: f"logs: {cli.shown(RESULTS_DIR)}/soak-{stamp}-*.log")
