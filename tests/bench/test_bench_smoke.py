"""Every benchmark at its smoke size (`python -m bench.<name> --smoke`), as a subprocess: a change that breaks a
benchmark fails here. A smoke run fails on any error or failed correctness check, not on a missed performance
target (small data on a shared machine); each writes its JSON result into a temporary folder.

The ingestion benchmark's smoke drives its two full-speed phases with the paced Python client (`--python-load`),
so wrk need not be installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300
pytestmark = pytest.mark.slow


def run_bench(module: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", f"bench.{module}", "--smoke", *args]
    try:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"{' '.join(command)} took over {TIMEOUT_S} s:\n{expired.stdout}") from None


def assert_passed(completed: subprocess.CompletedProcess) -> None:
    output = f"{completed.stdout[-6000:]}\n--- stderr ---\n{completed.stderr[-4000:]}"
    assert completed.returncode == 0, output


def written(results_dir: Path, prefix: str) -> dict:
    [path] = [path for path in results_dir.glob(f"{prefix}-*.json") if path.stem.count("-") == 1]
    return json.loads(path.read_text())


@pytest.mark.parametrize(("module", "prefix"), [
    ("ingest", "ingest"), ("dnc", "dnc"), ("console", "console"), ("dashboards", "dashboards"), ("soak", "soak"),
])
def test_benchmark_smoke_run_passes_and_writes_its_result(module, prefix, bench_env, results_dir):
    # when
    completed = run_bench(module, bench_env)

    # then
    assert_passed(completed)
    record = written(results_dir, prefix)
    assert record["arguments"]["smoke"] is True
    assert all(check["passed"] for check in record["checks"] if not check["target"])


def test_work_queue_smoke_run_and_its_profile_on_the_kept_data(bench_env, results_dir):
    # when
    queue = run_bench("work_queue", bench_env, "--keep-data")
    profile = subprocess.run([sys.executable, "-m", "bench.work_queue.profile", "--calls", "20"], cwd=ROOT,
                             env=bench_env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)

    # then
    assert_passed(queue)
    assert written(results_dir, "queue")["arguments"]["smoke"] is True
    assert_passed(profile)
    assert "next_cart" in profile.stdout


def test_soak_costs_smoke_run_reports_cpu_per_unit(bench_env):
    # when
    completed = run_bench("soak.costs", bench_env)

    # then
    assert_passed(completed)
    assert "CPU per unit" in completed.stdout
