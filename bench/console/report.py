"""The console benchmark's verdict: the issue's targets as checks, tables for people, JSON for the record."""

from __future__ import annotations

from bench.common.report import Check, disturbed_note, verdict_lines
from bench.console import queries as console_queries

MAX_SERVER_P95_MS = 50.0
TIMED_KINDS = {"screen": "cart screen", "step": "step partial"}


def checks(phases: list[dict], counts: dict, setup_problems: list[str]) -> list[Check]:
    found = [
        Check(f"{label} server time p95 < {MAX_SERVER_P95_MS:g} ms, {phase['name']}",
              0 < phase["kinds"][kind]["server"]["p95_ms"] < MAX_SERVER_P95_MS,
              f"p95 {phase['kinds'][kind]['server']['p95_ms']:.1f} ms over {phase['kinds'][kind]['server']['count']} "
              f"requests (client {phase['kinds'][kind]['client']['p95_ms']:.1f} ms)", target=True)
        for phase in phases for kind, label in TIMED_KINDS.items()
    ]
    same, grown = console_queries.constant(counts)
    found += [
        Check(f"SQL queries per request constant for {', '.join(f'{size:,}' for size in counts['sizes'])} history rows",
              same, grown or "same count for every size and pass"),
        Check("every request answered 200", not any(phase["errors"] for phase in phases) and not counts["problems"],
              "; ".join([f"{phase['name']}: {phase['errors']} ({', '.join(phase['error_samples'][:2])})"
                         for phase in phases if phase["errors"]] + counts["problems"][:3]) or "none"),
        Check("every agent got an open call on a cart", not setup_problems, "; ".join(setup_problems[:3]) or "all"),
    ]
    return found


_HEADER = (f"{'phase':<40}{'request':<14}{'req/s':>7}{'server p50':>11}{'p95':>8}{'p99':>8}"
           f"{'client p50':>12}{'p95':>8}{'p99':>8}{'other CPU':>11}")


def _phase_rows(phase: dict) -> list[str]:
    rows = []
    other = phase.get("cpu", {}).get("other_pct")
    for number, (kind, entry) in enumerate(phase["kinds"].items()):
        server, client = entry["server"], entry["client"]
        name = phase["name"] if number == 0 else ""
        other_text = f"{other:>10.0f}%" if number == 0 and other is not None else ""
        rows.append(f"{name:<40}{kind:<14}{entry['per_second']:>7.0f}{server['p50_ms']:>11.1f}{server['p95_ms']:>8.1f}"
                    f"{server['p99_ms']:>8.1f}{client['p50_ms']:>12.1f}{client['p95_ms']:>8.1f}"
                    f"{client['p99_ms']:>8.1f}{other_text}")
    return rows


def render_counts(counts: dict) -> list[str]:
    sizes = counts["sizes"]
    header = f"{'request (queries, median ms in-process)':<40}" + "".join(f"{f'{size:,} rows':>16}" for size in sizes)
    lines = [header, "-" * len(header)]
    for label, by_size in counts["requests"].items():
        cells = "".join(f"{str(by_size[size]['queries']) + ' / ' + format(by_size[size]['median_ms'], '.1f'):>16}"
                        for size in sizes)
        lines.append(f"{label:<40}{cells}")
    return lines


def render(phases: list[dict], counts: dict, found: list[Check], notes: list[str]) -> str:
    lines = [_HEADER, "-" * len(_HEADER)]
    for phase in phases:
        lines += _phase_rows(phase)
    lines += ["", *render_counts(counts), "", *notes]
    noisy = disturbed_note(phases)
    if noisy:
        lines.append(noisy)
    lines += ["", *verdict_lines(found)]
    return "\n".join(lines)


def render_plans(explained: list[dict], shown: int) -> str:
    """Every statement with its time under EXPLAIN ANALYZE (planning included), slowest first; the plans of the
    `shown` slowest."""
    lines = [f"  {entry['ms']:>7.3f} ms  {' '.join(entry['sql'].split())[:150]}" for entry in explained]
    for entry in explained[:shown]:
        lines += ["", f"-- {' '.join(entry['sql'].split())[:300]}", entry["plan"]]
    return "\n".join(lines) + "\n"
