"""The verdict of a run: checks against the issue's targets, a table for people, JSON for the record."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from bench.common.database import InboxCounts
from bench.common.loadgen import PhaseResult
from bench.common.report import DISTURBED_OTHER_CPU_PCT, Check

MIN_RATIO = 0.5
MAX_P95_MS_AT_RATE = 20.0

def target_checks(floor: PhaseResult, endpoint: PhaseResult, paced: PhaseResult) -> list[Check]:
    """The issue's performance targets: throughput ratio, p95 at the fixed rate, no errors."""
    ratio = throughput_ratio(floor, endpoint)
    errors = {phase.name: phase.errors for phase in (floor, endpoint, paced)}
    return [
        Check(f"endpoint/floor throughput >= {MIN_RATIO}", ratio >= MIN_RATIO,
              f"{endpoint.throughput:.0f} / {floor.throughput:.0f} req/s = {ratio:.2f}", target=True),
        Check(f"p95 < {MAX_P95_MS_AT_RATE:.0f} ms at {paced.details['rate']:.0f} req/s",
              paced.p95_ms < MAX_P95_MS_AT_RATE, f"p95 {paced.p95_ms:.1f} ms", target=True),
        Check("no errors (non-2xx, socket errors, timeouts)", not any(errors.values()),
              ", ".join(f"{name}: {count}" for name, count in errors.items())),
    ]


def quiet_check(phases: list[PhaseResult]) -> Check:
    """A run whose phases shared the cores with other work measured that work too: not a verdict on the code."""
    shares = {phase.name: phase.details["cpu"]["other_pct"] for phase in phases}
    return Check(
        f"machine quiet (other processes <= {DISTURBED_OTHER_CPU_PCT:.0f}% CPU in every phase)",
        all(share <= DISTURBED_OTHER_CPU_PCT for share in shares.values()),
        ", ".join(f"{name}: {share:.0f}%" for name, share in shares.items()), target=True,
    )


def integrity_checks(
    *, floor: PhaseResult, floor_rows: int, endpoint: PhaseResult, endpoint_redeliveries: int,
    paced: PhaseResult, paced_redeliveries: int, distinct_sent: int, inbox: InboxCounts,
) -> list[Check]:
    """Nothing lost, nothing stored twice, every redelivery recognised.

    wrk stops with up to one request per connection in flight; the server still
    stores those, but wrk never reads their answers, so its duplicate count may
    fall short of the redeliveries it sent by at most that many.
    """
    in_flight = endpoint.sent - endpoint.answered
    paced_fresh = paced.sent - paced_redeliveries
    return [
        Check("floor stored every request it got", floor_rows == floor.sent,
              f"{floor_rows} rows for {floor.sent} requests sent"),
        Check("inbox holds each distinct delivery once (none lost, no duplicates)",
              inbox.rows == distinct_sent == inbox.distinct_webhook_ids,
              f"{inbox.rows} rows, {inbox.distinct_webhook_ids} distinct webhook ids, {distinct_sent} distinct sent"),
        Check("redeliveries answered 'duplicate' at max throughput",
              endpoint_redeliveries - in_flight <= endpoint.duplicates_answered <= endpoint_redeliveries,
              f"{endpoint.duplicates_answered} of {endpoint_redeliveries} sent ({in_flight} unanswered at wrk's stop)"),
        Check(f"redeliveries answered 'duplicate' at {paced.details['rate']:.0f} req/s",
              paced.duplicates_answered == paced_redeliveries and paced.details["accepted_answered"] == paced_fresh,
              f"{paced.duplicates_answered} duplicate / {paced.details['accepted_answered']} accepted answers for "
              f"{paced_redeliveries} redeliveries / {paced_fresh} first deliveries"),
    ]


def processing_checks(processing: dict) -> list[Check]:
    """With --process: the worker drained the inbox, failed nothing, made one cart per checkout."""
    return [
        Check("worker drained the inbox", processing["pending"] == 0,
              f"{processing['rows']} deliveries in {processing['seconds']:.1f} s "
              f"({processing['per_second']:.0f}/s), {processing['pending']} still pending"),
        Check("no delivery failed", processing["failed"] == 0, f"{processing['failed']} failed"),
        Check("one cart per distinct checkout token", processing["carts"] == processing["distinct_checkout_tokens"],
              f"{processing['carts']} carts, {processing['distinct_checkout_tokens']} distinct tokens"),
    ]


def throughput_ratio(floor: PhaseResult, endpoint: PhaseResult) -> float:
    return endpoint.throughput / floor.throughput if floor.throughput else 0.0


_HEADER = f"{'phase':<24}{'path':<21}{'sent':>8}{'answered':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}" \
          f"{'p99 ms':>9}{'errors':>8}{'dup':>7}{'other CPU':>11}"


def render(phases: list[PhaseResult], checks: list[Check], extra_lines: list[str]) -> str:
    """The human-readable summary printed at the end of a run."""
    lines = [_HEADER, "-" * len(_HEADER)]
    for phase in phases:
        lines.append(
            f"{phase.name:<24}{phase.path:<21}{phase.sent:>8}{phase.answered:>10}{phase.throughput:>9.0f}"
            f"{phase.p50_ms:>9.1f}{phase.p95_ms:>9.1f}{phase.p99_ms:>9.1f}{phase.errors:>8}"
            f"{phase.duplicates_answered:>7}{phase.details['cpu']['other_pct']:>10.0f}%"
        )
    lines += ["", *extra_lines, ""]
    lines += [f"  {'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}" for check in checks]
    verdict = "PASS" if all(check.passed for check in checks) else "FAIL"
    lines += ["", f"Result: {verdict}"]
    return "\n".join(lines)


def write_json(path: Path, *, started_at: str, arguments: dict, phases: list[PhaseResult], checks: list[Check],
               ratio: float, processing: dict | None) -> None:
    """The same figures as the table, plus the raw load-generator output, for comparing runs."""
    record = {
        "started_at": started_at,
        "arguments": arguments,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "host": platform.node()},
        "phases": [{**asdict(phase), "throughput": round(phase.throughput, 1)} for phase in phases],
        "endpoint_floor_ratio": round(ratio, 3),
        "processing": processing,
        "checks": [asdict(check) for check in checks],
        "passed": all(check.passed for check in checks),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
