"""The dashboards benchmark's run, step by step (bench/dashboards/__init__.py describes it)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench.common import RESULTS_DIR, cli, database, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, bench_roots
from bench.dashboards import load as dashboards_load
from bench.dashboards import measure as dashboards_measure
from bench.dashboards import report as dashboards_report
from bench.dashboards import rollups as dashboards_rollups
from bench.dashboards import setup as dashboards_setup

HOST = "127.0.0.1"
GUNICORN_TIMEOUT_S = 900  # a slow page must be measured, not killed at gunicorn's default 30 s
CSV_REPEATS = 2


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--carts", type=int, default=1_000_000, help="carts to load (default 1,000,000)")
    parser.add_argument("--attempts", type=int, default=5_000_000, help="contact attempts (default 5,000,000)")
    parser.add_argument("--agents", type=int, default=50, help="agents on the team (default 50)")
    parser.add_argument("--supervisors", type=int, default=8, help="concurrent supervisors (default 8)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--keep-data", action="store_true", help="leave the bench database filled, to inspect it")
    return cli.parse_args(parser, argv, smoke={"carts": 5_000, "attempts": 20_000, "agents": 10, "supervisors": 2,
                                                  "duration": 3.0})


def variants(ids: dict) -> dict[str, str]:
    return {"no filter": "/dashboards/", "store filter": f"/dashboards/?store={ids['store']}",
            "agent filter": f"/dashboards/?agent={ids['agent']}"}


def downloads(ids: dict) -> dict[str, str]:
    return {"dashboard csv": "/dashboards/?format=csv", "leaderboard csv": "/dashboards/?table=leaderboard&format=csv",
            "trend csv": "/dashboards/?table=trend&format=csv&days=90"}


def measure_in_process(state: dict, now: datetime) -> dict:
    sys.stdout.write("Timing each section in-process (CaptureQueriesContext)...\n")
    timed = dashboards_measure.time_sections(now)
    urls = {**variants(state["ids"]), "live panel": "/dashboards/live/"}
    renders = dashboards_measure.page_renders(state["supervisors"][0].session_key, urls)
    sys.stdout.write("  " + ", ".join(f"{label} {render['ms']:.0f} ms ({render['queries']} queries)"
                                      for label, render in renders.items()) + "\n")
    sys.stdout.write("EXPLAIN (ANALYZE, BUFFERS) of the slowest statements...\n")
    statements = renders["no filter"]["statements"] + renders["live panel"]["statements"]
    plans = dashboards_measure.slowest_plans(statements)
    for render in renders.values():  # kept: the 15 slowest of each render, the plans hold the details
        render["statements"] = [{"ms": round(entry["ms"], 1), "sql": " ".join(entry["sql"].split())[:400]}
                                for entry in render["statements"][:15]]
    return {"sections": timed, "group_totals": dashboards_measure.group_totals(timed), "renders": renders,
            "plans": plans}


def load_phases(args: argparse.Namespace, stamp: str, urls: services.ServiceUrls, stack: ExitStack,
                state: dict) -> list[dict]:
    from django.conf import settings

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dashboards-bench-")))
    access_log, error_log = workdir / "access.log", RESULTS_DIR / f"dashboards-{stamp}-gunicorn.log"
    stack.callback(services.remove_if_empty, error_log)
    port = services.free_port()
    gunicorn = services.start_gunicorn(services.child_environment(urls), port, error_log, access_log=access_log,
                                       timeout_s=GUNICORN_TIMEOUT_S)
    stack.callback(services.stop, gunicorn)
    services.wait_healthy(f"http://{HOST}:{port}", gunicorn)
    cookie, supervisors = settings.SESSION_COOKIE_NAME, state["supervisors"]
    pages = variants(state["ids"])
    failures = dashboards_load.warm_up(HOST, port, supervisors[:2], cookie, pages)
    if failures:
        raise RuntimeError(f"warm-up failed: {'; '.join(failures[:3])}")
    phases = []
    meter = CpuMeter(bench_roots(urls.database, urls.redis))
    meter.start()
    record = dashboards_load.run_phase(HOST, port, supervisors, cookie, pages, duration=args.duration)
    record.cpu = meter.stop()
    phases.append(dashboards_load.summary(record, access_log))
    meter = CpuMeter(bench_roots(urls.database, urls.redis))
    meter.start()
    record = dashboards_load.time_downloads(HOST, port, supervisors[0], cookie, downloads(state["ids"]), CSV_REPEATS)
    record.cpu = meter.stop()
    phases.append(dashboards_load.summary(record, access_log, kinds=("csv",)))
    for phase in phases:
        sys.stdout.write("  " + dashboards_report.phase_line(phase) + "\n")
    return phases


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    urls = services.connect_django(stack)
    database.prepare()
    session_keys: list[str] = []
    dashboards_setup.remove_everything_else(session_keys)  # what an interrupted earlier run may have left
    if not args.keep_data:
        stack.callback(cleanup_data, session_keys)
    now = datetime.now(UTC)
    sys.stdout.write(f"Loading {args.carts:,} carts and about {args.attempts:,} attempts over 120 days...\n")
    loaded, supervisors, ids = dashboards_setup.load(carts=args.carts, attempts=args.attempts, agents=args.agents,
                                                     supervisors=args.supervisors, now=now)
    session_keys += [supervisor.session_key for supervisor in supervisors]
    loaded["counts"] = dashboards_setup.counts()
    sys.stdout.write(f"  loaded in {loaded['total_s']:.0f} s: " + ", ".join(
        f"{table} {rows:,}" for table, rows in loaded["rows"].items()) + "\n")
    sys.stdout.write("Building the daily roll-ups, then beat's refreshes...\n")
    rollups = dashboards_rollups.build(datetime.now(UTC))
    sys.stdout.write(f"  {rollups['days']} days in {rollups['backfill_s']:.1f} s; today again in "
                     f"{rollups['refresh_today_ms']:.0f} ms, the last {rollups['refresh_recent_days']} days in "
                     f"{rollups['refresh_recent_ms']:.0f} ms\n")
    rollups["agreement"] = dashboards_rollups.agreement(datetime.now(UTC))
    state = {"loaded": loaded, "supervisors": supervisors, "ids": ids, "rollups": rollups}
    in_process = measure_in_process(state, datetime.now(UTC))
    database.close_connections()
    sys.stdout.write(f"Load against gunicorn: {args.supervisors} supervisors for {args.duration:g} s...\n")
    with dashboards_rollups.RefreshLikeBeat() as beat:
        phases = load_phases(args, stamp, urls, stack, state)
    rollups["refreshes_during_load_ms"] = beat.times_ms
    return publish(args, stamp, state, in_process, phases)


def publish(args: argparse.Namespace, stamp: str, state: dict, in_process: dict, phases: list[dict]) -> int:
    found = dashboards_report.checks(phases, in_process, state["rollups"])
    json_path = RESULTS_DIR / f"dashboards-{stamp}.json"
    record = {"started_at": stamp, "arguments": vars(args), "data": state["loaded"], "filters": state["ids"],
              "phases": phases, "in_process": in_process, "rollups": state["rollups"]}
    common_report.write_json(json_path, record, found)
    notes = [dashboards_report.data_note(state["loaded"], args),
             "server = gunicorn's own time per request (access log %(D)s); client = around the request",
             f"JSON: {cli.shown(json_path)}", *(common_report.smoke_note(found) if args.smoke else [])]
    sys.stdout.write("\n" + dashboards_report.render(phases, in_process, state["rollups"], found, notes) + "\n")
    return common_report.exit_code(found, smoke=args.smoke)


def cleanup_data(session_keys: list[str]) -> None:
    database.reset()
    dashboards_setup.remove_everything_else(session_keys)


def main(argv: list[str] | None, *, description: str) -> int:
    return runner.run(execute, parse_args(argv, description), results_dir=RESULTS_DIR,
                      stopping="gunicorn and the embedded services",
                      logs=lambda stamp: f"logs: {cli.shown(RESULTS_DIR)}/dashboards-{stamp}-*.log")
