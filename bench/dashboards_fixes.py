"""Candidate fixes, tried in the bench database only (it is scratch), never in the application's code.

- rewrites: the team cost summed by PostgreSQL (lead() over the status log) instead of in Python, and the median
  time to first contact by percentile_cont instead of sorting every wait in Python, each timed against the
  application's function on the 90-day window;
- indexes: each candidate is created, then the slowest statements of the render are explained again;
- daily roll-ups: the tables a Celery task would keep (carts by day of abandonment, attempts by day and agent, on-duty
  seconds by day and agent) are built from the loaded data with one statement each, and the reads the dashboard would
  make of them for its six windows and its trend are timed.

Every candidate (named bench_candidate_*) is dropped at the end of the run, also when it is interrupted, so the bench
database is left as the migrations made it.
"""

from __future__ import annotations

import time
from datetime import datetime

from bench import dashboards_measure

PREFIX = "bench_candidate_"
# (name, definition): what the slow plans ask for (see the README's dashboards benchmark).
CANDIDATE_INDEXES = [
    ("attempt_channel_cart", "compliance_contactattempt (channel, cart_id) WHERE outcome <> 'not_sent'"),
    ("attempt_at_cover", "compliance_contactattempt (at) INCLUDE (channel, outcome, provider_status, store_id, "
                         "agent_id, cart_id)"),
    ("cart_abandoned_cover", "recovery_cart (abandoned_at) INCLUDE (store_id, route, status, in_control_group, "
                             "workable_since, first_attempt_at, recovered_at, recovered_value, upsell_value, "
                             "attribution, recovered_channel)"),
    ("call_opened_cover", "agents_call (opened_at) INCLUDE (agent_id, attempt_id, answer, resolved, disposition, "
                          "wrapped_up_at)"),
]


def _execute(sql: str, params: list | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


def create_indexes() -> list[dict]:
    built = []
    for name, definition in CANDIDATE_INDEXES:
        started = time.monotonic()
        _execute(f"CREATE INDEX IF NOT EXISTS {PREFIX}{name} ON {definition}")
        seconds = time.monotonic() - started
        size = _execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass))", [PREFIX + name])[0][0]
        built.append({"name": PREFIX + name, "definition": definition, "build_s": round(seconds, 1), "size": size})
    for table in {definition.split(" ", 1)[0] for _, definition in CANDIDATE_INDEXES}:
        _execute(f"VACUUM (ANALYZE) {table}")  # the visibility map, for index-only scans
    return built


def drop_candidates() -> None:
    """Every candidate index and roll-up table this benchmark made (none when the run stopped before)."""
    from django.db import connection

    if connection.connection is None and not connection.settings_dict.get("NAME"):
        return
    for (name,) in _execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", [PREFIX + "%"]):
        _execute(f"DROP INDEX IF EXISTS {name}")
    for (name,) in _execute("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", [PREFIX + "%"]):
        _execute(f"DROP TABLE IF EXISTS {name}")


def replan(plans: list[dict]) -> list[dict]:
    replanned = []
    for plan in plans:
        after = dashboards_measure.explain(plan["sql"])
        replanned.append({"sql": " ".join(plan["sql"].split())[:400], "before_ms": plan["ms"],
                          "after_ms": after["ms"], "plan": after["plan"]})
    return replanned


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


_TEAM_COST_SQL = """
WITH changes AS (
    SELECT agent_id, status, at, lead(at) OVER (PARTITION BY agent_id ORDER BY at) AS next_at
    FROM agents_agentstatuschange WHERE at < %(end)s AND at >= %(start)s - interval '10 hours'
)
SELECT coalesce(sum(profile.hourly_cost * extract(epoch FROM greatest(interval '0',
           least(coalesce(changes.next_at, %(end)s), changes.at + interval '10 hours', %(end)s)
           - greatest(changes.at, %(start)s))) / 3600), 0)::numeric(14, 2)
FROM changes JOIN agents_agentprofile AS profile ON profile.user_id = changes.agent_id
WHERE changes.status <> 'away'
"""
_MEDIAN_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_attempt_at - workable_since)) / 60
FROM recovery_cart
WHERE abandoned_at >= %(start)s AND abandoned_at < %(end)s AND route = 'call_first' AND NOT in_control_group
  AND workable_since IS NOT NULL AND first_attempt_at IS NOT NULL
"""


def rewrites(now: datetime) -> list[dict]:
    """The application's function and the rewrite on the 90-day window, with both answers (they must agree)."""
    from dashboards import metrics

    window = metrics.Window.last(90, now=now)
    params = {"start": window.start, "end": window.end}
    found = []
    before_ms, cost = _timed(lambda: metrics.team_cost(window, metrics.NO_FILTERS))
    after_ms, rows = _timed(lambda: _execute(_TEAM_COST_SQL, params))
    found.append({"name": "team cost (90 days) in SQL", "before_ms": round(before_ms, 1),
                  "after_ms": round(after_ms, 1), "note": f"Python {cost} vs SQL {rows[0][0]}",
                  "sql": " ".join(_TEAM_COST_SQL.split())})
    before_ms, speed = _timed(lambda: metrics.speed_to_lead(window, metrics.NO_FILTERS))
    after_ms, rows = _timed(lambda: _execute(_MEDIAN_SQL, params))
    found.append({"name": "median minutes to first contact (90 days) by percentile_cont",
                  "before_ms": round(before_ms, 1), "after_ms": round(after_ms, 1),
                  "note": f"whole speed_to_lead before; median {speed['median_minutes_to_first_contact']} vs "
                          f"{rows[0][0]}", "sql": " ".join(_MEDIAN_SQL.split())})
    return found


SPOKEN = "('recovered', 'link_sent', 'callback', 'not_interested', 'do_not_call')"
ROLLUPS = {
    "cart_day": """
        WITH contacted AS (
        SELECT attempt.cart_id, bool_or(attempt.channel = 'voice') AS voice, bool_or(attempt.channel = 'sms') AS sms,
               bool_or(attempt.channel = 'email') AS email, count(*) AS attempts,
               count(*) FILTER (WHERE cart.status = 'recovered' AND attempt.at <= cart.recovered_at) AS before_order
        FROM compliance_contactattempt AS attempt JOIN recovery_cart AS cart ON cart.id = attempt.cart_id
        WHERE attempt.outcome <> 'not_sent' GROUP BY attempt.cart_id
        )
        SELECT (cart.abandoned_at AT TIME ZONE 'UTC')::date AS day, cart.store_id, cart.route, cart.in_control_group,
           count(*) AS carts, count(*) FILTER (WHERE cart.status = 'recovered') AS recovered,
           sum(cart.recovered_value) FILTER (WHERE cart.status = 'recovered') AS recovered_value,
           sum(cart.upsell_value) FILTER (WHERE cart.status = 'recovered') AS upsell_value,
           sum(cart.recovered_value) FILTER (WHERE cart.status = 'recovered' AND cart.attribution = 'contacted')
               AS contacted_value,
           count(*) FILTER (WHERE cart.route = 'call_first' AND cart.workable_since IS NOT NULL) AS call_first,
           count(*) FILTER (WHERE cart.first_attempt_at - cart.workable_since <= interval '5 minutes') AS within_5,
           count(*) FILTER (WHERE cart.first_attempt_at - cart.workable_since <= interval '30 minutes') AS within_30,
           coalesce(sum(contacted.attempts), 0) AS attempts, coalesce(sum(contacted.before_order), 0) AS before_order,
           count(*) FILTER (WHERE contacted.voice) AS contacted_voice,
           count(*) FILTER (WHERE contacted.voice AND cart.status = 'recovered' AND cart.recovered_channel = 'voice')
               AS converted_voice,
           count(*) FILTER (WHERE contacted.sms) AS contacted_sms,
           count(*) FILTER (WHERE contacted.sms AND cart.status = 'recovered' AND cart.recovered_channel = 'sms')
               AS converted_sms,
           count(*) FILTER (WHERE contacted.email) AS contacted_email,
           count(*) FILTER (WHERE contacted.email AND cart.status = 'recovered' AND cart.recovered_channel = 'email')
               AS converted_email
        FROM recovery_cart AS cart LEFT JOIN contacted ON contacted.cart_id = cart.id
        WHERE cart.abandoned_at IS NOT NULL GROUP BY 1, 2, 3, 4""",
    "attempt_day": f"""
        SELECT (attempt.at AT TIME ZONE 'UTC')::date AS day, attempt.store_id, cart.route, attempt.channel,
           attempt.agent_id, count(*) AS attempts,
           count(*) FILTER (WHERE (attempt.channel = 'voice' AND attempt.outcome IN {SPOKEN})
                            OR (attempt.channel = 'sms' AND attempt.provider_status IN ('delivered', 'read'))
                            OR (attempt.channel = 'email' AND attempt.outcome IN ('sent', 'link_sent'))) AS reached
        FROM compliance_contactattempt AS attempt LEFT JOIN recovery_cart AS cart ON cart.id = attempt.cart_id
        WHERE attempt.outcome <> 'not_sent' GROUP BY 1, 2, 3, 4, 5""",
    "agent_day": """
        SELECT (at AT TIME ZONE 'UTC')::date AS day, agent_id,
           sum(extract(epoch FROM least(coalesce(next_at, now()), at + interval '10 hours') - at))
               FILTER (WHERE status <> 'away') AS on_duty_seconds
        FROM (SELECT agent_id, status, at, lead(at) OVER (PARTITION BY agent_id ORDER BY at) AS next_at
          FROM agents_agentstatuschange) AS changes
        GROUP BY 1, 2""",
}
ROLLUP_READS = {
    "cart_day": """SELECT sum(carts) FILTER (WHERE NOT in_control_group), sum(recovered), sum(recovered_value),
                          sum(upsell_value), sum(contacted_value), sum(call_first), sum(within_5), sum(within_30),
                          sum(attempts), sum(before_order), sum(contacted_voice), sum(converted_voice),
                          sum(contacted_sms), sum(converted_sms), sum(contacted_email), sum(converted_email),
                          sum(carts) FILTER (WHERE in_control_group),
                          sum(recovered) FILTER (WHERE in_control_group)
                   FROM {table} WHERE day >= %(start)s AND day < %(end)s""",
    "attempt_day": """SELECT channel, sum(attempts), sum(reached) FROM {table}
                      WHERE day >= %(start)s AND day < %(end)s GROUP BY channel""",
    "agent_day": """SELECT sum(rollup.on_duty_seconds * profile.hourly_cost / 3600) FROM {table} AS rollup
                    JOIN agents_agentprofile AS profile ON profile.user_id = rollup.agent_id
                    WHERE day >= %(start)s AND day < %(end)s""",
}


def rollups(now: datetime) -> list[dict]:
    """Each roll-up built from everything loaded, then read for the six windows (the dashboard's headline numbers);
    the cart roll-up is read for the 90-day trend too."""
    from dashboards import metrics, tables

    windows = []
    for days in tables.WINDOWS:
        current = metrics.Window.last(days, now=now)
        windows += [current, current.previous]
    found = []
    for name, select in ROLLUPS.items():
        table = PREFIX + name
        build_ms, _ = _timed(lambda table=table, select=select: _execute(f"CREATE TABLE {table} AS {select}"))
        _execute(f"CREATE INDEX ON {table} (day)")
        _execute(f"ANALYZE {table}")
        rows = _execute(f"SELECT count(*) FROM {table}")[0][0]
        read = ROLLUP_READS[name].format(table=table)
        read_ms, _ = _timed(lambda read=read: [_execute(read, {"start": window.start.date(), "end": window.end.date()})
                                               for window in windows])
        found.append({"name": table, "rows": rows, "build_s": round(build_ms / 1000, 1),
                      "reads": f"{len(windows)} windows", "read_ms": round(read_ms, 1),
                      "select": " ".join(select.split())})
    window90 = metrics.Window.last(90, now=now)
    trend_ms, _ = _timed(lambda: _execute(
        f"SELECT day, sum(carts), sum(recovered), sum(recovered_value), sum(within_5), sum(call_first) "
        f"FROM {PREFIX}cart_day WHERE day >= %s AND NOT in_control_group GROUP BY day ORDER BY day",
        [window90.start.date()]))
    found.append({"name": f"{PREFIX}cart_day (trend)", "rows": 0, "build_s": 0.0, "reads": "90-day trend",
                  "read_ms": round(trend_ms, 1), "select": ""})
    return found


def try_all(plans: list[dict], now: datetime) -> dict:
    """Rewrites first (on the schema as migrated), then the indexes and the plans again, then the roll-ups."""
    found = {"rewrites": rewrites(now)}
    found["indexes"] = create_indexes()
    found["replans"] = replan(plans)
    found["rollups"] = rollups(now)
    return found
