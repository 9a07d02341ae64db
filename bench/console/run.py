"""The console benchmark's run, step by step (bench/console/__init__.py describes it)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench.common import RESULTS_DIR, cli, database, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, bench_roots
from bench.console import data as console_data
from bench.console import load as console_load
from bench.console import queries as console_queries
from bench.console import report as console_report
from bench.work_queue import data as queue_data
from bench.work_queue import run as queue_run
from bench.work_queue import setup as queue_setup

HOST = "127.0.0.1"
PLANS_KEPT = 8
PLANS_SHOWN = 1


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--carts", type=int, default=1_000_000, help="carts to load (default 1,000,000)")
    parser.add_argument("--agents", type=int, default=50, help="concurrent agents (default 50)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per load phase (default 30)")
    parser.add_argument("--keep-data", action="store_true", help="leave the bench database filled, to inspect it")
    return cli.parse_args(parser, argv, smoke={"carts": 20_000, "agents": 10, "duration": 3.0})


def set_up(args: argparse.Namespace, at: datetime, session_keys: list[str]) -> dict:
    """The queue benchmark's carts and agents, then the console's: calls, histories, sessions, the counted carts."""
    from recovery.models import Store

    loaded, agents = queue_run.load_data(args, at)
    sys.stdout.write(f"  loaded in {loaded['total_s']:.1f} s: {loaded['carts']:,} carts, "
                     f"{loaded['workable_call_first']:,} workable call-first\n")
    queue_run.warm_up_process()
    store_ids = list(Store.objects.filter(name__startswith="Queue store").values_list("pk", flat=True))
    console_data.create_value_points(store_ids)
    console_data.make_specialists(agents)
    history_agent = queue_setup.create_agent("history")
    ready, problems = console_data.set_up_agents(agents, at=at, history_agent_id=history_agent.user_id)
    session_keys += [agent.session_key for agent in ready]
    sized = console_queries.create_sized_calls(store_ids, at=at, history_agent_id=history_agent.user_id)
    session_keys += [agent.session_key for agent in sized]
    sys.stdout.write(f"  {len(ready)} agents with an open call (history {min(a.history_rows for a in ready)}-"
                     f"{max(a.history_rows for a in ready)} rows); query-count carts of "
                     f"{', '.join(str(a.history_rows) for a in sized)} rows\n")
    histories = Counter(console_data.history_plan(agent.history_rows).attempts for agent in ready)
    return {"loaded": loaded, "agents": ready, "sized": sized, "setup_problems": problems,
            "attempts_per_cart": dict(sorted(histories.items()))}


def measure_queries(state: dict) -> tuple[dict, dict[str, list[dict]]]:
    counts = console_queries.count(state["sized"])
    plans = {f"cart screen, {agent.history_rows:,} history rows": console_queries.explain_cart_screen(agent)
             for agent in (state["sized"][-1], state["agents"][0])}
    return counts, plans


def load_phases(args: argparse.Namespace, stamp: str, urls: services.ServiceUrls, stack: ExitStack,
                agents: list[console_data.ConsoleAgent]) -> list[dict]:
    from django.conf import settings

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="console-bench-")))
    access_log, error_log = workdir / "access.log", RESULTS_DIR / f"console-{stamp}-gunicorn.log"
    stack.callback(services.remove_if_empty, error_log)
    port = services.free_port()
    gunicorn = services.start_gunicorn(services.child_environment(urls), port, error_log, access_log=access_log)
    stack.callback(services.stop, gunicorn)
    services.wait_healthy(f"http://{HOST}:{port}", gunicorn)
    cookie = settings.SESSION_COOKIE_NAME
    failures = console_load.warm_up(HOST, port, agents, cookie)
    if failures:
        raise RuntimeError(f"warm-up failed: {'; '.join(failures[:3])}")
    phases = []
    for paced in (False, True):
        meter = CpuMeter(bench_roots(urls.database, urls.redis))
        meter.start()
        record = console_load.run_phase(HOST, port, agents, cookie, paced=paced, duration=args.duration)
        record.cpu = meter.stop()
        phases.append(console_load.summary(record, access_log))
        kinds = phases[-1]["kinds"]
        sys.stdout.write(f"  {record.name}: {phases[-1]['per_second']:.0f} req/s, server p95 cart screen "
                         f"{kinds['screen']['server']['p95_ms']:.1f} ms, step {kinds['step']['server']['p95_ms']:.1f}"
                         f" ms, line {kinds['line']['server']['p95_ms']:.1f} ms\n")
    return phases


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    urls = services.connect_django(stack)
    database.prepare()
    queue_setup.remove_everything_else()  # what an interrupted earlier run may have left
    session_keys: list[str] = []
    console_data.remove_everything_else(session_keys)
    if not args.keep_data:
        stack.callback(cleanup_data, urls, session_keys)
    at = queue_data.fixed_instant(datetime.now(UTC))
    sys.stdout.write(f"Loading {args.carts:,} carts and {args.agents} agents (instant {at:%Y-%m-%d %H:%M} UTC)...\n")
    state = set_up(args, at, session_keys)
    sys.stdout.write("Counting queries per request in-process...\n")
    counts, plans = measure_queries(state)
    database.close_connections()
    sys.stdout.write(f"Load against gunicorn, {args.duration:g} s per phase...\n")
    phases = load_phases(args, stamp, urls, stack, state["agents"])
    return publish(args, stamp, state, phases, counts, plans)


def publish(args: argparse.Namespace, stamp: str, state: dict, phases: list[dict], counts: dict,
            plans: dict[str, list[dict]]) -> int:
    found = console_report.checks(phases, counts, state["setup_problems"])
    json_path = RESULTS_DIR / f"console-{stamp}.json"
    loaded = state["loaded"]
    record = {"started_at": stamp, "arguments": vars(args), "data": loaded,
              "agents": {"count": len(state["agents"]), "attempts_per_cart": state["attempts_per_cart"],
                         "history_rows": [agent.history_rows for agent in state["agents"]]},
              "phases": phases, "queries": counts,
              "plans": {label: entries[:PLANS_KEPT] for label, entries in plans.items()}}
    common_report.write_json(json_path, record, found)
    notes = [f"data: {loaded['carts']:,} carts, {loaded['customers']:,} customers; {len(state['agents'])} agents, "
             f"each on an open call (dialed, answered, at step 2) whose cart has "
             f"{min(state['attempts_per_cart'])}-{max(state['attempts_per_cart'])} earlier attempts",
             "server = gunicorn's own time per request (access log %(D)s); client = around the request, "
             "a new connection each (sync workers never keep it alive)",
             f"JSON: {cli.shown(json_path)}", *(common_report.smoke_note(found) if args.smoke else [])]
    sys.stdout.write("\n" + console_report.render(phases, counts, found, notes) + "\n")
    for label, entries in plans.items():
        sys.stdout.write(f"\nSlowest statements of the {label} (EXPLAIN ANALYZE):\n")
        sys.stdout.write(console_report.render_plans(entries, PLANS_SHOWN))
    return common_report.exit_code(found, smoke=args.smoke)


def cleanup_data(urls: services.ServiceUrls, session_keys: list[str]) -> None:
    """The queue benchmark's clean-up (carts with their calls and histories, agents, DNC lists, the Redis
    queue), then the sessions and the gate's decisions."""
    queue_run.cleanup_data(urls)
    console_data.remove_everything_else(session_keys)


def main(argv: list[str] | None, *, description: str) -> int:
    return runner.run(execute, parse_args(argv, description), results_dir=RESULTS_DIR,
                      stopping="gunicorn and the embedded services",
                      logs=lambda stamp: f"logs: {cli.shown(RESULTS_DIR)}/console-{stamp}-*.log")
