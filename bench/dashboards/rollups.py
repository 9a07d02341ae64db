"""The dashboard's daily roll-ups at the bench's size: what building them costs, what beat's refreshes cost, and a
check that the numbers added up from them are the raw rows' numbers.

- backfill: every day rebuilt from the loaded data (`manage.py rollup_dashboards` does the same), once;
- refreshes: today (beat, every minute) and the last ROLLUP_RECENT_DAYS days (beat, every ten minutes), each timed;
- agreement: for the 30-day window, the carts, recoveries, value, attempts by channel and team cost shown (from the
  roll-ups) against the same numbers computed from the raw rows by independent SQL, and the median time to first
  contact against percentile_cont over every wait (the roll-up keeps waits in buckets).
- while supervisors load the pages, a thread refreshes today every minute as beat would (`RefreshLikeBeat`), so the
  pages are measured against a database that is being rolled up.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from decimal import Decimal

ROLLUP_TABLES = ("dashboards_cartsbyday", "dashboards_waitsbyday", "dashboards_attemptsbyday", "dashboards_callsbyday",
                 "dashboards_frictionsbyday", "dashboards_offersbyday", "dashboards_recoveriesbyday",
                 "dashboards_dutybyday")


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def _rows() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in ROLLUP_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # nosec B608: our own table names
            counts[table] = cursor.fetchone()[0]
    return counts


def build(now: datetime) -> dict:
    """The backfill, then each of beat's refreshes, timed."""
    from dashboards.rollups import ROLLUP_RECENT_DAYS, rollups_refresh

    backfill_ms, days = _timed(lambda: rollups_refresh(now=now))
    rows = _rows()
    today_ms, _ = _timed(lambda: rollups_refresh(days=1))
    recent_ms, _ = _timed(lambda: rollups_refresh(days=ROLLUP_RECENT_DAYS))
    return {"days": days, "backfill_s": round(backfill_ms / 1000, 1), "rows": rows,
            "refresh_today_ms": round(today_ms, 1), "refresh_recent_days": ROLLUP_RECENT_DAYS,
            "refresh_recent_ms": round(recent_ms, 1)}


_RAW = """
SELECT count(*) FILTER (WHERE NOT in_control_group),
       count(*) FILTER (WHERE NOT in_control_group AND status = 'recovered'),
       coalesce(sum(recovered_value) FILTER (WHERE NOT in_control_group AND status = 'recovered'), 0),
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_attempt_at - workable_since))
        FROM recovery_cart WHERE abandoned_at >= %(start)s AND abandoned_at < %(end)s AND route = 'call_first'
          AND NOT in_control_group AND workable_since IS NOT NULL AND first_attempt_at IS NOT NULL)
FROM recovery_cart WHERE abandoned_at >= %(start)s AND abandoned_at < %(end)s
"""
_RAW_ATTEMPTS = """
SELECT channel, count(*) FROM compliance_contactattempt
WHERE at >= %(start)s AND at < %(end)s AND outcome <> 'not_sent' GROUP BY channel
"""
_RAW_DUTY_COST = """
WITH stretches AS (
    SELECT agent_id, status, at, least(coalesce(lead(at) OVER (PARTITION BY agent_id ORDER BY at, id), %(end)s),
                                       at + interval '10 hours', %(end)s) AS until
    FROM agents_agentstatuschange WHERE at >= %(start)s::timestamptz - interval '10 hours'
)
SELECT agent_id, sum(extract(epoch FROM least(until, %(end)s) - greatest(at, %(start)s)))
FROM stretches WHERE status <> 'away' AND until > %(start)s AND at < %(end)s GROUP BY agent_id
"""


def agreement(now: datetime) -> dict:
    """The 30-day window's numbers from the roll-ups against the raw rows'."""
    from django.db import connection

    from agents.models import AgentProfile
    from dashboards.metrics import Window, window_metrics
    from dashboards.rollups import rollups_rebuild

    window = Window.last(30, now=now)
    rollups_rebuild([window.last_day], now=now)  # today as of the moment the raw rows are read
    shown = window_metrics(window)
    params = {"start": window.start, "end": window.end}
    with connection.cursor() as cursor:
        cursor.execute(_RAW, params)
        carts, recovered, value, median = cursor.fetchone()
        cursor.execute(_RAW_ATTEMPTS, params)
        attempts = dict(cursor.fetchall())
        cursor.execute(_RAW_DUTY_COST, params)
        seconds = dict(cursor.fetchall())
    costs = dict(AgentProfile.objects.values_list("user_id", "hourly_cost"))
    cost = sum((costs.get(agent, Decimal("0")) * Decimal(str(round(float(on_duty) / 3600, 4)))
                for agent, on_duty in seconds.items()), Decimal("0")).quantize(Decimal("0.01"))
    response = shown.by_channel["response"]
    pairs = {
        "carts": (shown.values["carts"], carts), "recovered": (shown.values["recovered"], recovered),
        "recovered value": (str(shown.values["recovered_value"]), str(value)),
        **{f"{channel} attempts": (response[channel]["attempts"], attempts.get(channel, 0))
           for channel in ("voice", "sms", "email")},
        "team cost": (str(shown.values["team_cost"]), str(cost)),
    }
    shown_median = shown.values["median_minutes_to_first_contact"]
    raw_median = None if median is None else float(median) / 60
    equal = {name: a == b for name, (a, b) in pairs.items()}
    # Hours are rounded per agent and window in both, but summed per day first from the roll-ups: a cent per agent.
    equal["team cost"] = abs(shown.values["team_cost"] - cost) <= Decimal("0.01") * max(1, len(seconds))
    return {"window": f"{window.first_day} to {window.last_day}", "equal": equal,
            "pairs": {name: [a, b] for name, (a, b) in pairs.items()},
            "median_minutes": [shown_median, raw_median]}


class RefreshLikeBeat:
    """Rebuild today every `every` seconds in a thread while the pages are loaded, as beat does in production."""

    def __init__(self, every: float = 60.0):
        self.every, self.times_ms = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rollups-like-beat", daemon=True)

    def _run(self) -> None:
        from django.db import connection

        from dashboards.rollups import rollups_refresh

        try:
            while not self._stop.is_set():
                elapsed, _ = _timed(lambda: rollups_refresh(days=1))
                self.times_ms.append(round(elapsed, 1))
                self._stop.wait(self.every)
        finally:
            connection.close()

    def __enter__(self) -> RefreshLikeBeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
