"""The work-queue benchmark's verdict: the issue's targets as checks, a table for people, JSON for the record."""

from __future__ import annotations

from bench.common.report import Check, verdict_lines

MAX_FLOOR_RATIO = 2.0
MAX_PACED_P95_MS = 20.0
MAX_HANDOVER_MS = 1000.0
FIVE_MINUTES_MS = 300_000.0


def checks(floor: dict, saturated: dict, paced: dict, webhook: dict | None) -> list[Check]:
    ratio = saturated_ratio(floor, saturated)
    found = [
        Check(f"next_cart p95 within {MAX_FLOOR_RATIO:g}x the floor's (saturated)", ratio <= MAX_FLOOR_RATIO,
              f"{saturated['p95_ms']:.1f} ms / {floor['p95_ms']:.1f} ms = {ratio:.2f}x", target=True),
        Check(f"next_cart p95 < {MAX_PACED_P95_MS:g} ms, 1 ask / 2 s per agent", paced["p95_ms"] < MAX_PACED_P95_MS,
              f"p95 {paced['p95_ms']:.1f} ms over {paced['calls']} calls", target=True),
    ]
    if webhook is not None:
        found += [
            Check(f"every webhook's cart handed to the waiting agent in < {MAX_HANDOVER_MS / 1000:g} s",
                  webhook["handed"] == webhook["probes"] and webhook["max_ms"] < MAX_HANDOVER_MS,
                  f"{webhook['under_1s']} of {webhook['probes']} under 1 s, max {webhook['max_ms']:.0f} ms, "
                  f"{webhook['missed']} never arrived", target=True),
            Check("every webhook's cart handed over within the 5-minute rule",
                  webhook["within_5min"] == webhook["probes"], f"{webhook['within_5min']} of {webhook['probes']}"),
            Check("webhooks accepted, agent without errors", not webhook["bad_answers"] and not webhook["agent_errors"],
                  "; ".join(webhook["bad_answers"] + webhook["agent_errors"]) or "none"),
        ]
    phases = [floor, saturated, paced]
    found += [
        Check("no cart handed to two agents (SKIP LOCKED holds)",
              all(phase["handed_twice"]["overlapping"] == 0 for phase in phases),
              ", ".join(f"{phase['name']}: {phase['handed_twice']['overlapping']} of {phase['carts_handed']} carts"
                        for phase in phases)),
        Check("no cart handed out twice within a phase (a called cart waits for its next call)",
              all(phase["handed_twice"]["carts"] == 0 for phase in phases),
              ", ".join(f"{phase['name']}: {phase['handed_twice']['carts']}" for phase in phases)),
        Check("no pop failed", all(not phase["errors"] for phase in phases),
              ", ".join(f"{phase['name']}: {phase['errors']} errors" for phase in phases)),
        # A pop that finds the queue empty is no fault of the code, but the phase then measured an empty queue:
        # its figures count as a missed target (a smoke run's small queue runs dry under the floor's pace).
        Check("no pop found the queue empty", all(not phase["empty"] for phase in phases),
              ", ".join(f"{phase['name']}: {phase['empty']} empty" for phase in phases), target=True),
    ]
    return found


def saturated_ratio(floor: dict, saturated: dict) -> float:
    return saturated["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else float("inf")


_HEADER = (f"{'phase':<34}{'agents':>7}{'calls':>8}{'calls/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
           f"{'max ms':>9}{'other CPU':>11}")


def _row(phase: dict) -> str:
    other = phase.get("cpu", {}).get("other_pct")
    other_text = f"{other:>10.0f}%" if other is not None else f"{'':>11}"
    return (f"{phase['name']:<34}{phase['agents']:>7}{phase['calls']:>8}{phase['per_second']:>9.0f}"
            f"{phase['p50_ms']:>9.1f}{phase['p95_ms']:>9.1f}{phase['p99_ms']:>9.1f}{phase['max_ms']:>9.1f}{other_text}")


def render(phases: list[dict], webhook: dict | None, found: list[Check], notes: list[str]) -> str:
    lines = [_HEADER, "-" * len(_HEADER), *(_row(phase) for phase in phases)]
    if webhook is not None:
        lines.append(_row({"name": "webhook -> waiting agent", "agents": 1, "calls": webhook["handed"],
                           "per_second": webhook["handed"] / webhook["seconds"] if webhook["seconds"] else 0,
                           **{key: webhook[key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
                           "cpu": webhook.get("cpu", {})}))
    lines += ["", *notes, ""]
    lines += verdict_lines(found)
    return "\n".join(lines)


