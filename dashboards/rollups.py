"""Keeping the dashboard's daily roll-ups: which days are due, and rebuilding them.

The dashboard adds up one row per day and key instead of scanning millions of carts and attempts. A day's rows
describe its data as of the moment they were built (`RolledUpDay.as_of`). A day is current when it was built after
it ended, or, for today, within ROLLUP_MAX_AGE of the moment asked about. Celery beat rebuilds today every minute
and the days whose carts can still change every ten minutes (ROLLUP_RECENT_DAYS); every night it rebuilds them all,
which takes in what changed later (an order matched by its checkout token weeks on, an erasure). Only those tasks
and `manage.py rollup_dashboards` build: a page reads what is built and says how fresh it is and which days are not
built yet (dashboards.selectors.rollups_freshness), so a GET never writes.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from compliance.models import ContactAttempt
from dashboards.models import RolledUpDay
from dashboards.rollup_sql import ROLLUPS
from recovery.models import Cart

ROLLUP_MAX_AGE = timedelta(minutes=5)
# A status with no change after it for this long is taken to have ended (a session that expired unseen).
LONGEST_SHIFT = timedelta(hours=10)
ROLLUP_RECENT_DAYS = 14  # the attribution window (7 days) and the cadences (3 days), with room to spare
ROLLUP_SPAN_DAYS = 180  # what the dashboard reads: 90 days and the 90 before
_LOCK = zlib.crc32(b"dashboards.rollups")  # one builder at a time


def day_start(day: date) -> datetime:
    """The midnight that starts `day` in the operation's time zone (the roll-ups' days, which the metrics read)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def is_current(as_of: datetime, day: date, now: datetime) -> bool:
    if as_of >= day_start(day + timedelta(days=1)):
        return True
    return now - ROLLUP_MAX_AGE <= as_of <= now


def days_due(first: date, last: date, *, now: datetime) -> list[date]:
    """The days of [first, last] (up to the day of `now`) whose roll-ups are missing or out of date."""
    last = min(last, timezone.localdate(now))
    built = dict(RolledUpDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "as_of"))
    due, day = [], first
    while day <= last:
        if day not in built or not is_current(built[day], day, now):
            due.append(day)
        day += timedelta(days=1)
    return due


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges, so a rebuild runs one statement per range."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def rollups_rebuild(days: list[date], *, now: datetime | None = None) -> int:
    """Rebuild every roll-up of `days` from the raw rows as of `now`; returns how many days were rebuilt."""
    now = now or timezone.now()
    if not days:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        for first, last in _runs(days):
            params = {"tz": settings.TIME_ZONE, "start": day_start(first), "end": day_start(last + timedelta(days=1)),
                      "first": first, "last": last, "now": now, "shift": LONGEST_SHIFT}
            for table, statement in ROLLUPS:
                cursor.execute(f"DELETE FROM {table} WHERE day >= %s AND day <= %s", [first, last])  # nosec B608
                cursor.execute(statement, params)
        refreshed = timezone.now()
        RolledUpDay.objects.bulk_create(
            [RolledUpDay(day=day, as_of=now, refreshed_at=refreshed) for day in days],
            update_conflicts=True, unique_fields=["day"], update_fields=["as_of", "refreshed_at"])
    return len(days)


def rollups_refresh(*, days: int | None = None, now: datetime | None = None) -> int:
    """Rebuild the last `days` days to today; when `days` is None, every day that has data and at least the span the
    dashboard reads."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if days is None:
        span_start = today - timedelta(days=ROLLUP_SPAN_DAYS - 1)
        first = min(_first_day_with_data() or span_start, span_start)
    else:
        first = today - timedelta(days=days - 1)
    return rollups_rebuild([first + timedelta(days=offset) for offset in range((today - first).days + 1)], now=now)


def _first_day_with_data() -> date | None:
    firsts = [moment for moment in (
        Cart.objects.order_by("abandoned_at").values_list("abandoned_at", flat=True).filter(
            abandoned_at__isnull=False).first(),
        ContactAttempt.objects.order_by("at").values_list("at", flat=True).first(),
    ) if moment is not None]
    return timezone.localdate(min(firsts)) if firsts else None
