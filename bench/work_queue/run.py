"""The work-queue benchmark's run, step by step (bench/work_queue/__init__.py describes it)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime

from bench.common import BENCH_SHOP_DOMAIN, RESULTS_DIR, cli, database, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, bench_roots
from bench.work_queue import data as queue_data
from bench.work_queue import load as queue_load
from bench.work_queue import report as queue_report
from bench.work_queue import setup as queue_setup
from bench.work_queue import webhook as queue_webhook
from bench.work_queue.load import PhaseRecord

PROBES_FULL = 300
CARTS_PER_PROBE = 3_000  # a smaller --carts sends fewer probes by default, so a smoke run stays short
PROBES_MIN = 30


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--carts", type=int, default=1_000_000, help="carts to load (default 1,000,000)")
    parser.add_argument("--agents", type=int, default=50, help="concurrent agents (default 50)")
    parser.add_argument("--processes", type=int, default=5,
                        help="worker processes the agents are spread over, one thread per agent, for the floor and "
                             "next_cart alike, as gunicorn's workers serve them (default 5: 10 agents each)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load phase (default 20)")
    parser.add_argument("--probes", type=int, default=None,
                        help=f"webhooks sent one at a time to a waiting agent (default {PROBES_FULL}; "
                             f"one per {CARTS_PER_PROBE:,} carts, at least {PROBES_MIN}, when --carts is smaller)")
    parser.add_argument("--no-webhook", action="store_true", help="skip the webhook-to-agent phase")
    parser.add_argument("--keep-data", action="store_true", help="leave the bench database filled, to inspect it")
    args = cli.parse_args(parser, argv, smoke={"carts": 20_000, "agents": 10, "processes": 2, "duration": 3.0,
                                                  "probes": 10})
    if not 1 <= args.processes <= args.agents:
        parser.error("--processes must be between 1 and --agents")
    if args.probes is None:
        args.probes = max(PROBES_MIN, min(PROBES_FULL, args.carts // CARTS_PER_PROBE))
    return args


def metered(roots: list[int], phase: Callable[[], PhaseRecord]) -> dict:
    meter = CpuMeter(roots)
    meter.start()
    record = phase()
    record.cpu = meter.stop()
    return record.summary()


def load_data(args: argparse.Namespace, at: datetime) -> tuple[dict, list[queue_setup.Agent]]:
    """Stores, agents, carts, the DNC list; returns what was loaded (with timings) and the agents."""
    started = time.monotonic()
    store_ids = queue_setup.create_stores()
    away = queue_setup.create_agent("away")
    agents = queue_setup.create_agents(args.agents, store_ids)
    plan = queue_data.LoadPlan(carts=args.carts, at=at, store_ids=store_ids, away_agent_id=away.user_id)
    timings = queue_setup.load(plan)
    timings["dnc_numbers"] = queue_setup.create_dnc_list(plan)
    timings["total_s"] = time.monotonic() - started
    from agents.services import call_retries_release

    timings["retries_released"] = call_retries_release(now=at)  # as beat does every 30 s
    queue_setup.snapshot_queue()
    return {"at": at.isoformat(), **timings, **queue_setup.queue_counts(at)}, agents


def warm_up_process() -> None:
    """This process's own `next_cart` calls (the plans, the webhook's waiting agent) place numbers too."""
    queue_load.warm_up_process()


def run_phases(args: argparse.Namespace, agents: list[queue_setup.Agent], at: datetime,
               roots: list[int]) -> list[dict]:
    """Floor, saturated, paced, each in the same layout of processes; the queue put back after each, so each
    starts from the same one."""
    phases = []
    for name in queue_load.PHASES:
        phases.append(metered(roots, lambda name=name: queue_load.run_phase(
            name, agents, at=at, duration=args.duration, processes=args.processes)))
        phases[-1]["plans_after"] = query_plans(agents, at)  # the head of the queue now holds called carts
        phases[-1]["restored"] = queue_setup.restore_queue()
        sys.stdout.write(f"  {phases[-1]['name']}: p95 {phases[-1]['p95_ms']:.1f} ms "
                         f"({phases[-1]['calls']} calls)\n")
    return phases


def start_product(stamp: str, urls: services.ServiceUrls, stack: ExitStack) -> int:
    """gunicorn, the inbox dispatcher and a Celery worker on the bench database; returns gunicorn's port."""
    env = services.child_environment(urls)
    port = services.free_port()
    logs = {name: RESULTS_DIR / f"queue-{stamp}-{name}.log" for name in ("gunicorn", "celery")}
    for log in logs.values():
        stack.callback(services.remove_if_empty, log)
    gunicorn = services.start_gunicorn(env, port, logs["gunicorn"])
    stack.callback(services.stop, gunicorn)
    for process in (services.start_celery_worker(env, logs["celery"]),
                    services.start_inbox_dispatcher(env, logs["celery"])):
        stack.callback(services.stop, process)
    services.wait_healthy(f"http://127.0.0.1:{port}", gunicorn)
    return port


def webhook_phase(args: argparse.Namespace, stamp: str, urls: services.ServiceUrls, stack: ExitStack,
                  at: datetime, roots: list[int], customers: int) -> dict:
    from recovery.models import Store

    probe_store = Store.objects.get(shop_domain=BENCH_SHOP_DOMAIN)
    agent = queue_setup.create_agent("probe", stores=(probe_store.pk,))
    port = start_product(stamp, urls, stack)
    region = queue_webhook.probe_region(datetime.now(UTC), fallback_at=at)
    meter = CpuMeter(roots)
    meter.start()
    result = queue_webhook.run(port, agent, region, probes=args.probes, customers=customers)
    result["cpu"] = meter.stop()
    return result


def query_plans(agents: list[queue_setup.Agent], at: datetime) -> dict[str, str]:
    """EXPLAIN ANALYZE of the floor's pop and of next_cart's candidate query (for an agent of every store and
    for one store's agent), in a transaction rolled back so the plan's row locks are not kept."""
    from django.db import connection, transaction

    from agents.services import queue_sql  # the statements themselves, so the plans are next_cart's own

    floor_select = queue_load.FLOOR_SQL.split("WHERE id = (", 1)[1].split("\nRETURNING", 1)[0].rsplit(")", 1)[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {floor_select}", {"at": at})
        plans = {"floor pop": "\n".join(row[0] for row in cursor.fetchall())}
        transaction.set_rollback(True)
    for label, agent in (("next_cart, agent of every store", agents[1]), ("next_cart, agent of one store", agents[0])):
        with transaction.atomic(), connection.cursor() as cursor:
            facts, _, _ = queue_sql.agent_facts_with_pop(agent_id=agent.user_id, until=at, now=at)
            sql = queue_sql.CANDIDATE_SQL
            params = queue_sql.candidate_params(facts, at, agent_id=agent.user_id)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plans[label] = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
    return plans


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    """The whole run; everything started is registered on `stack`, which main() always closes."""
    urls = services.connect_django(stack)
    database.prepare()
    queue_setup.remove_everything_else()  # what an interrupted earlier run may have left
    if not args.keep_data:
        stack.callback(cleanup_data, urls)
    at = queue_data.fixed_instant(datetime.now(UTC))
    sys.stdout.write(f"Loading {args.carts:,} carts (instant {at:%Y-%m-%d %H:%M} UTC)...\n")
    loaded, agents = load_data(args, at)
    sys.stdout.write(f"  loaded in {loaded['total_s']:.1f} s: {loaded['open_call_first']:,} open call-first carts, "
                     f"{loaded['workable_call_first']:,} workable now\n")
    warm_up_process()
    plans = query_plans(agents, at)
    roots = bench_roots(urls.database, urls.redis)
    phases = run_phases(args, agents, at, roots)
    webhook = None if args.no_webhook else webhook_phase(args, stamp, urls, stack, at, roots, loaded["customers"])
    return publish(args, stamp, loaded, phases, webhook, plans)


def _notes(args: argparse.Namespace, loaded: dict, phases: list[dict], webhook: dict | None) -> list[str]:
    notes = [f"data: {loaded['carts']:,} carts ({loaded['open']:,} open, {loaded['open_call_first']:,} call first, "
             f"{loaded['workable_call_first']:,} workable), {loaded['customers']:,} customers, "
             f"{loaded['dnc_numbers']:,} DNC numbers; loaded in {loaded['total_s']:.1f} s "
             f"(COPY {loaded['copy_s']:.1f} s, VACUUM ANALYZE {loaded['vacuum_analyze_s']:.1f} s)",
             f"phases: {args.agents} agents in {_layout(args.agents, args.processes)} "
             "(floor and next_cart alike), "
             f"{args.duration:g} s each, at {loaded['at']}; "
             f"next_cart/floor p95 ratio {queue_report.saturated_ratio(phases[0], phases[1]):.2f}"]
    if webhook is not None:
        region = webhook["region"]
        clock = f"fixed instant {region['fixed_at']}" if region["fixed_at"] else "the real clock"
        notes.append(f"webhook probes: area code {region['area_code']} ({region['state']}, local time "
                     f"{region['local_time']}), {clock}")
    noisy = common_report.disturbed_note(phases + ([{**webhook, "name": "webhook"}] if webhook else []))
    return notes + ([noisy] if noisy else [])


def _layout(agents: int, processes: int) -> str:
    """'5 processes of 10 threads', '1 process of 50 threads', '3 processes of 16-17 threads'."""
    low, high = agents // processes, -(-agents // processes)
    threads = str(low) if low == high else f"{low}-{high}"
    return f"{processes} process{'es' if processes != 1 else ''} of {threads} threads"


def publish(args: argparse.Namespace, stamp: str, loaded: dict, phases: list[dict], webhook: dict | None,
            plans: dict[str, str]) -> int:
    found = queue_report.checks(*phases, webhook)
    json_path = RESULTS_DIR / f"queue-{stamp}.json"
    common_report.write_json(json_path, {"started_at": stamp, "arguments": vars(args), "data": loaded,
                                        "phases": phases, "webhook": webhook, "plans_as_loaded": plans}, found)
    notes = [*_notes(args, loaded, phases, webhook), f"JSON: {cli.shown(json_path)}"]
    notes += common_report.smoke_note(found) if args.smoke else []
    sys.stdout.write("\n" + queue_report.render(phases, webhook, found, notes) + "\n")
    if not all(check.passed for check in found):
        sys.stdout.write("\nThe pops as planned once the saturated phase had called carts at the queue's head:\n")
        for label, plan in phases[1]["plans_after"].items():
            sys.stdout.write(f"-- {label}\n{plan}\n")
    return common_report.exit_code(found, smoke=args.smoke)


def cleanup_data(urls: services.ServiceUrls) -> None:
    """Empty the bench queue in Redis, the carts (with the bench's stores) and the agents and DNC lists."""
    if urls.redis_is_bench_only:
        services.empty_queue(urls.redis)
    database.reset()
    queue_setup.remove_everything_else()


def main(argv: list[str] | None, *, description: str) -> int:
    return runner.run(execute, parse_args(argv, description), results_dir=RESULTS_DIR,
                      stopping="gunicorn, the worker, the dispatcher and the embedded services",
                      logs=lambda stamp: f"logs: {cli.shown(RESULTS_DIR)}/queue-{stamp}-*.log")
