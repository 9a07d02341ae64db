"""The DNC benchmark's verdict: checks against the issue's targets, a table for people, JSON for the record."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from bench.common.report import Check, verdict_lines

MAX_FLOOR_RATIO = 2.0
MAX_PEAK_RSS_MB = 300.0
# Seconds per million numbers at the big size over the small one. Building a btree sorts (n log n), so
# 10x the numbers may cost a little more than 10x; more than this is not "linear" any more.
MAX_LINEARITY_RATIO = 1.5
MAX_GATE_P95_MS = 2.0
# Above this share of all cores taken by processes outside the benchmark, a step's figures are suspect.
DISTURBED_OTHER_CPU_PCT = 10.0


def per_million(seconds: float, count: int) -> float:
    return seconds * 1_000_000 / count


def target_checks(results: dict) -> list[Check]:
    """The targets: within 2x the floor, flat memory, linear from the small size to the big one, fast gate."""
    small, big = results["sizes"][0], results["sizes"][-1]
    ratio = big["import"]["seconds"] / big["floor"]["seconds"]
    peak = max(run["peak_rss_mb"] for size in results["sizes"] for run in size["import_runs"])
    kernel_peak = max(run["children_max_rss_mb"] for size in results["sizes"] for run in size["import_runs"])
    checks = [
        Check(f"import_dnc within {MAX_FLOOR_RATIO:g}x the floor at {big['numbers']:,}", ratio <= MAX_FLOOR_RATIO,
              f"{big['import']['seconds']:.1f} s / {big['floor']['seconds']:.1f} s = {ratio:.2f}x", target=True),
        Check(f"peak RSS < {MAX_PEAK_RSS_MB:.0f} MB", max(peak, kernel_peak) < MAX_PEAK_RSS_MB,
              f"{peak:.0f} MB sampled, {kernel_peak:.0f} MB kernel maximum", target=True),
    ]
    if small is not big:
        rates = [per_million(size["import"]["service_s"], size["numbers"]) for size in (small, big)]
        checks.append(Check(
            f"linear {small['numbers']:,} -> {big['numbers']:,} (s/million within {MAX_LINEARITY_RATIO:g}x)",
            rates[1] <= rates[0] * MAX_LINEARITY_RATIO,
            f"{rates[0]:.2f} -> {rates[1]:.2f} s per million (import service time)", target=True))
    checks.append(_gate_target_check(results))
    return checks


def _gate_target_check(results: dict) -> Check:
    gate = results["gate"]["check_contact"] or results["gate"]["dnc_query"]
    what = "check_contact" if results["gate"]["check_contact"] else "DNC query (check_contact NOT measured)"
    return Check(f"{what} p95 < {MAX_GATE_P95_MS:g} ms", gate["p95_ms"] < MAX_GATE_P95_MS,
                 f"p50 {gate['p50_ms']:.2f} / p95 {gate['p95_ms']:.2f} / p99 {gate['p99_ms']:.2f} ms", target=True)


def correctness_checks(results: dict) -> list[Check]:
    """The figures only count if the work was done: every number loaded, every lookup right."""
    checks = []
    for size in results["sizes"]:
        bad = [run for run in size["import_runs"]
               if run["status"] != "done" or run["numbers_loaded"] != size["numbers"] or run["exit_code"] != 0]
        checks.append(Check(f"every import of {size['numbers']:,} loaded every number", not bad,
                            f"{len(size['import_runs']) - len(bad)} of {len(size['import_runs'])} runs"))
    checks += _gate_correctness_checks(results)
    for name, run in results["import_export"].items():
        checks.append(Check(f"django-import-export ({name}) stored every row", run["stored"] == run["rows"],
                            f"{run['stored']:,} of {run['rows']:,}"))
    return checks


def _gate_correctness_checks(results: dict) -> list[Check]:
    return [
        Check(f"{name}: listed numbers found, unlisted not", gate["wrong"] == 0 and not gate.get("gate_errors"),
              f"{gate['wrong']} wrong, {gate.get('gate_errors', 0)} gate errors in {gate['calls']}")
        for name, gate in results["gate"].items() if gate
    ]


def gate_checks(results: dict) -> list[Check]:
    """The checks a --gate-only run can make: the gate's latency target, and its answers."""
    return [_gate_target_check(results), *_gate_correctness_checks(results)]


def quiet_note(results: dict) -> str:
    """Whether the runs that count (the best of each step) had the machine to themselves."""
    shares = [size[step]["cpu"]["other_pct"] for size in results["sizes"] for step in ("floor", "import")]
    verdict = "quiet" if max(shares) <= DISTURBED_OTHER_CPU_PCT else "NOT quiet: figures may be disturbed"
    return f"machine {verdict} (other processes took up to {max(shares):.0f}% of all CPU during a counted run)"


def _size_rows(results: dict) -> list[str]:
    header = f"{'step':<30}{'numbers':>12}{'seconds':>10}{'s/million':>11}{'service s':>11}{'peak RSS':>10}" \
             f"{'other CPU':>11}"
    lines = [header, "-" * len(header)]
    for size in results["sizes"]:
        count, floor, imp = size["numbers"], size["floor"], size["import"]
        lines.append(f"{'floor: COPY + CREATE INDEX':<30}{count:>12,}{floor['seconds']:>10.2f}"
                     f"{per_million(floor['seconds'], count):>11.2f}{'':>21}{floor['cpu']['other_pct']:>10.0f}%")
        lines.append(f"{'import_dnc --replace':<30}{count:>12,}{imp['seconds']:>10.2f}"
                     f"{per_million(imp['seconds'], count):>11.2f}{imp['service_s']:>11.2f}"
                     f"{imp['peak_rss_mb']:>7.0f} MB{imp['cpu']['other_pct']:>10.0f}%")
    return lines


def _gate_rows(results: dict) -> list[str]:
    lines = [f"{'gate latency (ms)':<30}{'calls':>12}{'p50':>10}{'p95':>11}{'p99':>11}{'max':>10}"]
    for name, gate in results["gate"].items():
        if gate is None:
            lines.append(f"{name:<30}  not importable from compliance.services: still to be measured")
            continue
        lines.append(f"{name:<30}{gate['calls']:>12,}{gate['p50_ms']:>10.2f}{gate['p95_ms']:>11.2f}"
                     f"{gate['p99_ms']:>11.2f}{gate['max_ms']:>10.2f}")
    return lines


def _import_export_rows(results: dict) -> list[str]:
    big = results["sizes"][-1]
    ours = big["import"]["seconds"] / big["numbers"] * 1e6
    lines = [f"{'django-import-export':<30}{'rows':>12}{'seconds':>10}{'us/row':>11}{'x ours':>11}"]
    for name, run in results["import_export"].items():
        lines.append(f"{name:<30}{run['rows']:>12,}{run['seconds']:>10.1f}{run['us_per_row']:>11.1f}"
                     f"{run['us_per_row'] / ours:>10.0f}x")
    lines.append(f"{'import_dnc (at the big size)':<30}{big['numbers']:>12,}{big['import']['seconds']:>10.1f}"
                 f"{ours:>11.2f}{1:>10}x")
    return lines


def render(results: dict, checks: list[Check], notes: list[str]) -> str:
    lines = [*_size_rows(results), "", *_gate_rows(results), "", *_import_export_rows(results), "", *notes, ""]
    lines += verdict_lines(checks)
    return "\n".join(lines)


def render_gate(results: dict, checks: list[Check], notes: list[str]) -> str:
    lines = [*_gate_rows(results), "", *notes, ""]
    lines += verdict_lines(checks)
    return "\n".join(lines)


def write_json(path: Path, *, started_at: str, arguments: dict, results: dict, checks: list[Check]) -> None:
    record = {
        "started_at": started_at,
        "arguments": arguments,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "host": platform.node()},
        **results,
        "checks": [asdict(check) for check in checks],
        "passed": all(check.passed for check in checks),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
