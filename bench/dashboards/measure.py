"""In-process measurements of the dashboard: the time of each section, the SQL of one render, and the plans.

Each section (a metric of one window, a breakdown, the funnel, the live view's parts) is called as the view calls
it, under `CaptureQueriesContext`, SECTION_PASSES times (the data was just loaded and vacuumed, so it is in the
cache): its median time, the statements it ran with their own times, and how much of the time was spent outside
the database (Python on the rows fetched). Then the whole page is rendered through Django's test Client (no filter,
a store, an agent, the live panel), and the slowest distinct statements of a render are run again under EXPLAIN
(ANALYZE, BUFFERS) in a rolled-back transaction.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

SECTION_PASSES = 2
PLANS_KEPT = 10
METRIC_PARTS = ("speed_to_lead", "recovery", "team_cost", "response", "conversion_by_channel", "lift")


@dataclass(frozen=True)
class Section:
    label: str
    group: str  # "window metrics", "breakdowns", "live view", ...
    run: Callable[[], object]


def sections(now: datetime) -> list[Section]:
    """What one render of /dashboards/ (no filter) and of /dashboards/live/ compute, piece by piece."""
    from dashboards import breakdowns, live, metrics, selectors, tables
    from dashboards.metrics import NO_FILTERS, Window

    found = []
    for days in tables.WINDOWS:
        current = Window.last(days, now=now)
        for label, window in ((f"{days} days", current), (f"{days} days before", current.previous)):
            for part in METRIC_PARTS:
                function = getattr(metrics, part)
                found.append(Section(f"{part} ({label})", "window metrics",
                                     lambda function=function, window=window: function(window, NO_FILTERS)))
    window30, window90 = Window.last(30, now=now), Window.last(90, now=now)
    found += [
        Section("leaderboard (30 days)", "breakdowns", lambda: breakdowns.leaderboard(window30, NO_FILTERS)),
        Section("frictions (30 days)", "breakdowns", lambda: breakdowns.frictions(window30, NO_FILTERS)),
        Section("resolutions (30 days)", "breakdowns", lambda: breakdowns.resolutions(window30, NO_FILTERS)),
        Section("daily_trend (90 days)", "breakdowns", lambda: breakdowns.daily_trend(window90, NO_FILTERS)),
        Section("script_funnel (30 days)", "breakdowns", lambda: breakdowns.script_funnel(window30, NO_FILTERS)),
        Section("load_facts (the six windows' roll-ups)", "window metrics", lambda: metrics.load_facts(
            Window.last(90, now=now).previous.first_day, window90.last_day, NO_FILTERS, now=now)),
        Section("filter_choices", "selectors", selectors.filter_choices),
        Section("queue_depth", "live view", lambda: live.queue_depth(now)),
        Section("breaches", "live view", lambda: live.breaches(now)),
        Section("callbacks_due", "live view", lambda: live.callbacks_due(now)),
        Section("agents_now", "live view", lambda: live.agents_now(now, work_waiting=True)),
    ]
    return found


def _captured(run: Callable[[], object]) -> tuple[float, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        run()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, [{"sql": query["sql"], "ms": float(query["time"]) * 1000} for query in captured.captured_queries]


def time_sections(now: datetime, passes: int = SECTION_PASSES) -> list[dict]:
    """[{label, group, median_ms, sql_ms, python_ms, queries, statements}] in the view's order."""
    results = []
    for section in sections(now):
        try:
            runs = [_captured(section.run) for _ in range(passes)]
        except Exception as exc:  # the app is edited concurrently: a renamed function must not stop the run
            results.append({"label": section.label, "group": section.group, "error": repr(exc)})
            continue
        times = [elapsed for elapsed, _ in runs]
        median_run = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        sql_ms = sum(statement["ms"] for statement in median_run[1])
        results.append({"label": section.label, "group": section.group,
                        "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
                        "sql_ms": round(sql_ms, 1), "python_ms": round(max(0.0, median_run[0] - sql_ms), 1),
                        "queries": len(median_run[1]),
                        "statements": [{"ms": round(statement["ms"], 1), "sql": _short(statement["sql"])}
                                       for statement in median_run[1]]})
    return results


def _short(sql: str, limit: int = 400) -> str:
    return " ".join(sql.split())[:limit]


def group_totals(timed: list[dict]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for entry in timed:
        if "median_ms" in entry:
            totals[entry["group"]] = round(totals.get(entry["group"], 0.0) + entry["median_ms"], 1)
    return totals


def page_renders(session_key: str, variants: dict[str, str]) -> dict[str, dict]:
    """Each URL rendered through the test Client as a supervisor: time, status, queries, the statements by time."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    renders = {}
    for label, url in variants.items():
        headers = {"HX-Request": "true"} if "live" in label else {}
        status: list[int] = []
        elapsed, statements = _captured(lambda url=url, headers=headers, status=status: status.append(
            client.get(url, headers=headers).status_code))
        renders[label] = {"url": url, "status": status[0], "ms": round(elapsed, 1), "queries": len(statements),
                          "sql_ms": round(sum(statement["ms"] for statement in statements), 1),
                          "statements": sorted(statements, key=lambda statement: statement["ms"], reverse=True)}
    return renders


def explain(sql: str) -> dict:
    """The statement run again under EXPLAIN (ANALYZE, BUFFERS), in a transaction rolled back."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    times = [float(line.split(":")[1].split()[0]) for line in lines
             if line.startswith(("Planning Time:", "Execution Time:"))]
    return {"ms": round(sum(times), 1), "plan": "\n".join(lines)}


def slowest_plans(statements: list[dict], kept: int = PLANS_KEPT) -> list[dict]:
    """The `kept` slowest distinct SELECTs of a render (by their time in it), each with its plan."""
    seen, plans = set(), []
    for statement in sorted(statements, key=lambda entry: entry["ms"], reverse=True):
        sql = statement["sql"]
        if sql in seen or not sql.lstrip().upper().startswith("SELECT"):
            continue
        seen.add(sql)
        plans.append({"render_ms": round(statement["ms"], 1), "sql": sql, **explain(sql)})
        if len(plans) >= kept:
            break
    return plans
