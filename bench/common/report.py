"""A benchmark's verdict: checks, each either a performance target or a correctness check, and the exit code.

A smoke run (`--smoke`) is small data on a shared machine: its performance figures mean nothing, so a missed
target is reported but does not fail it; a failed correctness check (something lost, stored twice, refused,
answered with an error) fails it as it fails a full run.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

# Above this share of all cores taken by processes outside the bench, a phase's figures are suspect.
DISTURBED_OTHER_CPU_PCT = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    target: bool = False  # a performance target (time, rate, memory), not a correctness check


def verdict_lines(checks: list[Check]) -> list[str]:
    """Each check with PASS or FAIL, then the run's result."""
    return [*(f"  {'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}" for check in checks), "",
            f"Result: {'PASS' if all(check.passed for check in checks) else 'FAIL'}"]


def exit_code(checks: list[Check], *, smoke: bool) -> int:
    """0 when every check that counts passed, 1 otherwise; in a smoke run missed targets do not count."""
    counted = [check for check in checks if not (smoke and check.target)]
    return 0 if all(check.passed for check in counted) else 1


def smoke_note(checks: list[Check]) -> list[str]:
    """The line a smoke run prints when it missed a target it does not fail on."""
    missed = [check.name for check in checks if check.target and not check.passed]
    if not missed:
        return []
    return [f"smoke run: {len(missed)} missed performance target(s) reported, not failed "
            "(the exit code counts only the other checks)"]


def disturbed_note(phases: list[dict]) -> str | None:
    """Other work on the shared cores shows up in the latencies; said, not failed, since the targets are
    about the code and the machine is not ours alone."""
    busy = {phase["name"]: phase["cpu"]["other_pct"] for phase in phases if phase.get("cpu")}
    noisy = {name: share for name, share in busy.items() if share > DISTURBED_OTHER_CPU_PCT}
    if not noisy:
        return None
    return "note: other processes took " + ", ".join(f"{share:.0f}% in {name}" for name, share in noisy.items()) + \
        " of the CPU: figures of those phases include their interference"


def write_json(path: Path, record: dict, found: list[Check]) -> None:
    record = {
        **record,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "host": platform.node()},
        "checks": [asdict(check) for check in found],
        "passed": all(check.passed for check in found),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
