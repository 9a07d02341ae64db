"""DNC import benchmark: `import_dnc` on a national-registry-sized file, against a bare COPY floor.

Run with `.venv/bin/python -m bench.dnc [--numbers 10000000]` (`--help` for the rest; `--smoke` for a run of
seconds on lists of 5,000 and 20,000 numbers). One run:

1. holds the embedded PostgreSQL (or uses BENCH_DATABASE_URL's server) and works in a database of its own,
   `cart_recovery_dncbench`, migrated at the start and dropped at the end with the imports' reports (unless
   --keep-data), so no list or report of the development database is ever replaced;
2. generates registry files (one 10-digit number per line) of --small and --numbers distinct numbers
   under var/bench/, or reuses them when their size and checksum match;
3. for each size, --repeat times: the floor (a bare COPY of the file into a one-column table plus its
   index, on a plain psycopg connection) and `manage.py import_dnc FILE --list national --format ftc
   --replace` as a subprocess, its peak memory sampled; the best run of each counts (the machine is
   shared, and the best run is the one least disturbed), every run is in the JSON;
4. with the big list loaded: --gate-calls check_contact calls (voice) on listed and unlisted numbers,
   and the gate's DNC query alone, p50/p95/p99;
5. the first --ie-rows numbers through django-import-export, for the per-row comparison;
6. prints a table, writes bench/results/dnc-<time>.json (or into BENCH_RESULTS_DIR), exits non-zero when a target
   or check fails.

`--gate-only --keep-data` measures step 4 alone: the big list is imported only when the bench database does
not hold it already (a previous `--keep-data` run), so the gate can be re-measured in seconds.

Everything it started stops when it ends, Ctrl-C included; the embedded servers stop with it unless
another process (`make run`) holds them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.common import REPO_ROOT, RESULTS_DIR, cli, database, runner, services
from bench.common import report as common_report
from bench.common.cpu import CpuMeter, postgres_pid
from bench.dnc import data as dnc_data
from bench.dnc import measure as dnc_measure
from bench.dnc import report as dnc_report
from config.embedded import VAR_DIR

DATA_DIR = VAR_DIR / "bench"
REPORTS_DIR = DATA_DIR / "dnc-reports"  # bench.dnc.settings.DNC_REPORTS_DIR
# A database of its own, beside the ingestion benchmark's scratch one, which that benchmark empties.
DATABASE = "cart_recovery_dncbench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=10_000_000, help="the big file (default 10,000,000)")
    parser.add_argument("--small", type=int, default=1_000_000, help="the linearity baseline (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of the floor and the import per size (default 2)")
    parser.add_argument("--gate-calls", type=int, default=2000, help="check_contact calls (default 2000)")
    parser.add_argument("--ie-rows", type=int, default=100_000, help="rows through django-import-export")
    parser.add_argument("--keep-data", action="store_true", help="keep the bench database")
    parser.add_argument("--gate-only", action="store_true",
                        help="measure the gate alone, importing the big list only if the bench database lacks it")
    args = cli.parse_args(parser, argv, smoke={"numbers": 20_000, "small": 5_000, "repeat": 1, "gate_calls": 200,
                                                  "ie_rows": 2_000})
    args.small = min(args.small, args.numbers)
    args.ie_rows = min(args.ie_rows, args.numbers)
    return args


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_database(server_url: str) -> str:
    """DATABASE on the server of `server_url`, created if missing; returns its URL."""
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as pg:
        if not pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            pg.execute(f'CREATE DATABASE "{DATABASE}"')
    return _with_database(server_url, DATABASE)


def drop_database(server_url: str) -> None:
    with psycopg.connect(_with_database(server_url, "postgres"), autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def metered(roots: list[int], step: Callable[[], dict]) -> dict:
    """Run one step and note how much CPU everything outside the benchmark took meanwhile."""
    meter = CpuMeter(roots)
    meter.start()
    result = step()
    result["cpu"] = meter.stop()
    return result


def import_once(env: dict[str, str], path: Path, log_path: Path) -> dict:
    """One `import_dnc --replace` subprocess, with what its DncImport row says about it."""
    from compliance.models import DncImport

    result = dnc_measure.run_import_command(env, path, log_path)
    record = DncImport.objects.filter(dnc_list__name="national").order_by("-pk").first()
    service = (record.finished_at - record.started_at).total_seconds() if record and record.finished_at else None
    return {**result, "status": record.status if record else None, "service_s": service,
            "numbers_loaded": record.numbers_loaded if record else 0}


def measure_size(count: int, *, dsn: str, env: dict[str, str], args: argparse.Namespace, roots: list[int],
                 log_path: Path) -> dict:
    path, reused = dnc_data.ensure_file(DATA_DIR, count)
    floors, imports = [], []
    for _ in range(args.repeat):
        floors.append(metered(roots, lambda: dnc_measure.measure_floor(dsn, path)))
        imports.append(metered(roots, lambda: import_once(env, path, log_path)))
    return {"numbers": count, "file": cli.shown(path), "file_reused": reused,
            "floor": min(floors, key=lambda run: run["seconds"]),
            "import": min(imports, key=lambda run: run["seconds"]), "floor_runs": floors, "import_runs": imports}


def measure_gate(count: int, calls: int) -> dict:
    """With the list of `count` numbers loaded: the full gate, and its DNC query alone."""
    from recovery.models import Platform, Store

    sample = dnc_measure.gate_sample(calls, count)
    result: dict = {"dnc_query": dnc_measure.time_calls(dnc_measure.dnc_lookup(), sample)}
    store, _ = Store.objects.get_or_create(shop_domain="dnc-bench.example.com",
                                           defaults={"name": "DNC bench store", "platform": Platform.CUSTOM})
    call = dnc_measure.gate_call(store)
    result["check_contact"] = None
    if call is not None:
        result["check_contact"] = {**dnc_measure.time_calls(call, sample), "gate_errors": len(call.failures)}
    return result


def prepare(stack: ExitStack, args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The bench database, migrated, with Django set up on it; returns its URL and the children's environment."""
    urls = services.service_urls()
    bench_url = create_database(urls.database)
    if not args.keep_data:
        stack.callback(drop_database, urls.database)
    os.environ.update({"DATABASE_URL": bench_url, "REDIS_URL": urls.redis})
    database.django_setup()
    stack.callback(database.close_connections)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not args.keep_data:
        stack.callback(shutil.rmtree, REPORTS_DIR, ignore_errors=True)
    env = services.child_environment(services.ServiceUrls(bench_url, urls.redis, False))
    return bench_url, {**env, "DJANGO_SETTINGS_MODULE": "bench.dnc.settings"}


def ensure_list_loaded(count: int, *, env: dict[str, str], log_path: Path) -> dict:
    """The national list of `count` numbers in the bench database: kept from an earlier run, or imported now."""
    from compliance.models import DncList

    national = DncList.objects.filter(name="national").first()
    if national is not None and national.entry_count == count:
        return {"numbers": count, "reused": True}
    path, _ = dnc_data.ensure_file(DATA_DIR, count)
    return {"numbers": count, "reused": False, "import": import_once(env, path, log_path)}


def execute_gate_only(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    _bench_url, env = prepare(stack, args)
    log_path = RESULTS_DIR / f"dnc-{stamp}-import.log"
    results: dict = {"list": ensure_list_loaded(args.numbers, env=env, log_path=log_path)}
    results["gate"] = measure_gate(args.numbers, args.gate_calls)
    checks = dnc_report.gate_checks(results)
    json_path = RESULTS_DIR / f"dnc-gate-{stamp}.json"
    dnc_report.write_json(json_path, started_at=stamp, arguments=vars(args), results=results, checks=checks)
    reused = "kept from an earlier run" if results["list"]["reused"] else "imported now"
    notes = [f"national list: {args.numbers:,} numbers, {reused}", f"JSON: {cli.shown(json_path)}",
             *(common_report.smoke_note(checks) if args.smoke else [])]
    sys.stdout.write(dnc_report.render_gate(results, checks, notes) + "\n")
    return common_report.exit_code(checks, smoke=args.smoke)


def execute(args: argparse.Namespace, stamp: str, stack: ExitStack) -> int:
    if args.gate_only:
        return execute_gate_only(args, stamp, stack)
    bench_url, env = prepare(stack, args)
    roots = [pid for pid in (os.getpid(), postgres_pid(VAR_DIR / "postgres")) if pid]
    log_path = RESULTS_DIR / f"dnc-{stamp}-import.log"
    sizes = sorted({args.small, args.numbers})
    results: dict = {"sizes": [measure_size(count, dsn=bench_url, env=env, args=args, roots=roots,
                                            log_path=log_path) for count in sizes]}
    results["gate"] = measure_gate(args.numbers, args.gate_calls)
    from bench.dnc import import_export as dnc_import_export

    results["import_export"] = dnc_import_export.measure(REPO_ROOT / results["sizes"][-1]["file"], args.ie_rows)
    checks = dnc_report.target_checks(results) + dnc_report.correctness_checks(results)
    json_path = RESULTS_DIR / f"dnc-{stamp}.json"
    dnc_report.write_json(json_path, started_at=stamp, arguments=vars(args), results=results, checks=checks)
    notes = [dnc_report.quiet_note(results), f"import output: {cli.shown(log_path)}",
             f"JSON: {cli.shown(json_path)}", *(common_report.smoke_note(checks) if args.smoke else [])]
    sys.stdout.write(dnc_report.render(results, checks, notes) + "\n")
    return common_report.exit_code(checks, smoke=args.smoke)


def main(argv: list[str] | None = None) -> int:
    return runner.run(execute, parse_args(argv), results_dir=RESULTS_DIR,
                      stopping="the import and the embedded services")

