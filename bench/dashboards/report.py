"""The dashboards benchmark's verdict: the issue's target as checks, tables for people, JSON for the record."""

from __future__ import annotations

from bench.common.report import Check, disturbed_note, verdict_lines

MAX_DASHBOARD_P95_MS = 300.0
SECTIONS_SHOWN = 12
PLANS_SHOWN = 5


def checks(phases: list[dict], in_process: dict, rollups: dict) -> list[Check]:
    load = phases[0]
    dashboard = load["kinds"]["dashboard"]["server"]
    found = [
        Check(f"dashboard server time p95 < {MAX_DASHBOARD_P95_MS:g} ms, {load['name']}",
              0 < dashboard["p95_ms"] < MAX_DASHBOARD_P95_MS,
              f"p95 {dashboard['p95_ms']:.0f} ms over {dashboard['count']} pages "
              f"(client {load['kinds']['dashboard']['client']['p95_ms']:.0f} ms)", target=True),
    ]
    for name, entry in load["kinds"]["dashboard"]["server_by_request"].items():
        found.append(Check(f"dashboard ({name}) server time p95 < {MAX_DASHBOARD_P95_MS:g} ms",
                           0 < entry["p95_ms"] < MAX_DASHBOARD_P95_MS, f"p95 {entry['p95_ms']:.0f} ms over "
                                                                       f"{entry['count']} pages", target=True))
    broken = [entry["label"] for entry in in_process["sections"] if "error" in entry]
    found += [
        Check("every request answered 200", not any(phase["errors"] for phase in phases),
              "; ".join(f"{phase['name']}: {phase['errors']} ({', '.join(phase['error_samples'][:2])})"
                        for phase in phases if phase["errors"]) or "none"),
        Check("every section could be timed in-process", not broken, ", ".join(broken) or "all"),
        Check("the roll-ups' 30-day numbers equal the raw rows'", all(rollups["agreement"]["equal"].values()),
              "; ".join(f"{name} {shown} vs {raw}" for name, (shown, raw) in rollups["agreement"]["pairs"].items()
                        if shown != raw) or "all equal"),
    ]
    return found


def phase_line(phase: dict) -> str:
    return f"{phase['name']}: " + ", ".join(
        f"{kind} server p50 {entry['server']['p50_ms']:.0f} / p95 {entry['server']['p95_ms']:.0f} ms "
        f"({entry['server']['count']} requests)" for kind, entry in phase["kinds"].items())


def data_note(loaded: dict, args) -> str:
    rows, counts = loaded["rows"], loaded["counts"]
    return (f"data: {rows['recovery_cart']:,} carts ({counts['abandoned']:,} abandoned over {counts['days']} days, "
            f"{counts['control_group']:,} control, {counts['recovered']:,} recovered, {counts['open']:,} open), "
            f"{rows['compliance_contactattempt']:,} attempts with as many decisions, {rows['agents_call']:,} calls, "
            f"{rows['agents_call_frictions']:,} call frictions, {rows['agents_agentstatuschange']:,} status changes "
            f"of {args.agents} agents; loaded in {loaded['total_s']:.0f} s (generate {loaded['generate_s']:.0f} s, "
            f"COPY {loaded['copy_s']:.0f} s, VACUUM ANALYZE {loaded['vacuum_analyze_s']:.0f} s)")


_HEADER = (f"{'phase':<36}{'request':<16}{'count':>7}{'server p50':>12}{'p95':>9}{'p99':>9}"
           f"{'client p95':>12}{'other CPU':>11}")


def _phase_rows(phase: dict) -> list[str]:
    rows = []
    other = phase.get("cpu", {}).get("other_pct")
    first = True
    for kind, entry in phase["kinds"].items():
        for name, server in [(kind, entry["server"]), *((f"  {n}", s) for n, s in entry["server_by_request"].items()
                                                        if len(entry["server_by_request"]) > 1)]:
            label = phase["name"] if first else ""
            other_text = f"{other:>10.0f}%" if first and other is not None else ""
            client = entry["client"]["p95_ms"] if name == kind else None
            rows.append(f"{label:<36}{name:<16}{server['count']:>7}{server['p50_ms']:>12.0f}{server['p95_ms']:>9.0f}"
                        f"{server['p99_ms']:>9.0f}{'' if client is None else format(client, '.0f'):>12}{other_text}")
            first = False
    return rows


def render_sections(in_process: dict) -> list[str]:
    timed = [entry for entry in in_process["sections"] if "median_ms" in entry]
    lines = [f"{'section (in-process, median of passes)':<46}{'ms':>9}{'SQL ms':>9}{'Python ms':>11}{'queries':>9}"]
    lines.append("-" * len(lines[0]))
    for entry in sorted(timed, key=lambda item: item["median_ms"], reverse=True)[:SECTIONS_SHOWN]:
        lines.append(f"{entry['label']:<46}{entry['median_ms']:>9.0f}{entry['sql_ms']:>9.0f}{entry['python_ms']:>11.0f}"
                     f"{entry['queries']:>9}")
    lines.append("totals by group: " + ", ".join(f"{group} {ms:,.0f} ms"
                                                  for group, ms in in_process["group_totals"].items()))
    lines.append("whole renders (test Client): " + ", ".join(
        f"{label} {render['ms']:,.0f} ms / {render['queries']} queries / SQL {render['sql_ms']:,.0f} ms"
        for label, render in in_process["renders"].items()))
    return lines


def render_plans(plans: list[dict], shown: int = PLANS_SHOWN) -> list[str]:
    lines = ["Slowest statements of one render (EXPLAIN ANALYZE ms, planning included):"]
    lines += [f"  {plan['ms']:>8.0f} ms  {' '.join(plan['sql'].split())[:160]}" for plan in plans]
    return lines


def render_rollups(rollups: dict) -> list[str]:
    rows = ", ".join(f"{table.removeprefix('dashboards_')} {count:,}" for table, count in rollups["rows"].items())
    agreement = rollups["agreement"]
    shown, raw = agreement["median_minutes"]
    median = "–" if shown is None or raw is None else f"{shown:.2f} min from the buckets, {raw:.2f} min exact"
    return [f"Roll-ups: {rollups['days']} days built in {rollups['backfill_s']:.1f} s ({rows} rows); beat's "
            f"refresh of today {rollups['refresh_today_ms']:.0f} ms, of the last {rollups['refresh_recent_days']} days "
            f"{rollups['refresh_recent_ms']:.0f} ms; today refreshed during the load in "
            f"{', '.join(f'{ms:.0f}' for ms in rollups.get('refreshes_during_load_ms', [])) or '–'} ms",
            f"  30 days ({agreement['window']}) from the roll-ups against the raw rows: " + "; ".join(
                f"{name} {'=' if agreement['equal'][name] else '!='} {pair[1]}"
                for name, pair in agreement["pairs"].items()) + f"; median {median}"]


def render(phases: list[dict], in_process: dict, rollups: dict, found: list[Check], notes: list[str]) -> str:
    lines = [_HEADER, "-" * len(_HEADER)]
    for phase in phases:
        lines += _phase_rows(phase)
    lines += ["", *render_rollups(rollups), "", *render_sections(in_process), "", *render_plans(in_process["plans"])]
    lines += ["", *notes]
    noisy = disturbed_note(phases)
    if noisy:
        lines.append(noisy)
    lines += ["", *verdict_lines(found)]
    return "\n".join(lines)
