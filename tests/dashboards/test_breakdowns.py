"""Leaderboard, frictions, resolutions and the daily trend against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.models import Call, FrictionReason
from dashboards.breakdowns import daily_trend, frictions, leaderboard, resolutions, weekly_trend
from dashboards.metrics import Window
from tests.factories import CartFactory, StoreFactory, UserFactory, attempt

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T = NOW - timedelta(days=3)
WINDOW = Window.last(30, now=NOW)
ALL_STEPS = {str(step): T.isoformat() for step in range(1, 8)}


def call(cart, agent, at, minutes, *, answer, steps, frictions=(), offered=(), resolved=""):
    made = Call.objects.create(cart=cart, agent=agent, opened_at=at, wrapped_up_at=at + timedelta(minutes=minutes),
                               answer=answer, step_times={str(step): at.isoformat() for step in steps},
                               offered=list(offered), resolved=resolved,
                               attempt=attempt(cart, "voice", at, agent=agent, outcome="x"))
    made.frictions.set(FrictionReason.objects.filter(code__in=frictions))
    return made


@pytest.fixture
def team(build_rollups):
    store = StoreFactory()
    maya, sam = UserFactory(username="maya", first_name="Maya"), UserFactory(username="sam", first_name="Sam")
    c1 = CartFactory(store=store, abandoned_at=T, status="recovered", recovered_value=Decimal("300"),
                     recovered_by=maya, recovered_at=T + timedelta(days=1), attribution="contacted")
    c2 = CartFactory(store=store, abandoned_at=T)
    c3 = CartFactory(store=store, abandoned_at=T + timedelta(days=1))
    first = call(c1, maya, T, 6, answer="reached", steps=range(1, 8), frictions=["price", "payment_failed"],
                 offered=["A", "B"], resolved="yes")
    first.attempt.outcome = "recovered"
    first.attempt.save()
    second = call(c2, maya, T + timedelta(hours=1), 2, answer="no_answer", steps=[1, 6, 7])
    second.attempt.outcome = "no_answer"
    second.attempt.save()
    third = call(c3, sam, T + timedelta(days=1), 10, answer="reached", steps=[1, 2, 3, 6, 7], frictions=["price"],
                 offered=["A"], resolved="no")
    third.attempt.outcome = "link_sent"
    third.attempt.save()
    build_rollups(NOW)
    return store, maya, sam


def test_the_leaderboard(team):
    maya, sam = leaderboard(WINDOW)
    assert (maya.name, maya.attempts, maya.reach_rate, maya.carts_attempted, maya.recovered) == ("Maya", 2, 0.5, 2, 1)
    assert (maya.recovery_rate, maya.value, maya.handle_minutes, maya.adherence) == (0.5, Decimal("300"), 4.0, 1.0)
    assert (sam.name, sam.attempts, sam.reach_rate, sam.recovery_rate, sam.value) == ("Sam", 1, 1.0, 0.0, 0)
    assert (sam.handle_minutes, sam.adherence) == (10.0, 0.0)


def test_frictions_and_what_resolved_them(team):
    rows = [(row.label, row.calls, row.resolved, row.resolved_rate) for row in frictions(WINDOW)]
    assert rows == [("Price", 2, 1, 0.5), ("Payment declined or failed", 1, 1, 1.0)]
    offers = [(row.offer, row.offered, row.resolved, row.resolved_rate) for row in resolutions(WINDOW)]
    assert offers == [("A", 2, 1, 0.5), ("B", 1, 1, 1.0)]


def test_the_daily_trend_has_every_day_and_divides_by_nothing_on_empty_days(team):
    series = daily_trend(Window.last(5, now=NOW))
    by_day = {row["day"]: row for row in series}
    # Five whole days: today so far and the four before.
    assert [row["day"] for row in series] == ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    assert (by_day["2026-11-17"]["carts"], by_day["2026-11-17"]["recovered"]) == (2, 1)
    assert by_day["2026-11-17"]["recovery_rate"] == 0.5 and by_day["2026-11-17"]["value"] == 300.0
    assert by_day["2026-11-16"]["carts"] == 0 and by_day["2026-11-16"]["recovery_rate"] is None


def test_the_weekly_trend_adds_up_whole_weeks_ending_today_with_the_carts_behind_each_rate(team, build_rollups):
    # given: the team's three carts (two on T, one on T + 1 day) and a call-first cart eight days before T
    store, _maya, _sam = team
    earlier = T - timedelta(days=8)
    CartFactory(store=store, abandoned_at=earlier, route="call_first", workable_since=earlier,
                first_attempt_at=earlier + timedelta(minutes=2))
    build_rollups(NOW)

    # when
    series = weekly_trend(Window.last(21, now=NOW))

    # then: three weeks of 7 days, the last ending today, each with the carts its rates divide by
    assert [(row["day"], row["last_day"]) for row in series] == [
        ("2026-10-31", "2026-11-06"), ("2026-11-07", "2026-11-13"), ("2026-11-14", "2026-11-20")]
    last = series[-1]
    assert (last["carts"], last["recovered"], last["recovery_rate"], last["value"]) == (3, 1, 1 / 3, 300.0)
    assert series[1]["carts"] == 1 and series[1]["call_first_carts"] == 1
    assert series[1]["contacted_within_5_min"] == 1.0 and series[1]["recovery_rate"] == 0.0
    assert series[0]["carts"] == 0 and series[0]["recovery_rate"] is None
    assert sum(row["carts"] for row in daily_trend(Window.last(21, now=NOW))) == 4


def test_the_dashboard_charts_weekly_by_default_and_daily_on_demand(client, supervisor_user, team):
    import json
    import re

    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        weekly = client.get("/dashboards/?days=30").content.decode()
        daily = client.get("/dashboards/?days=30&trend=day").content.decode()

    def points(page):
        return json.loads(re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', page,
                                    re.S).group(1))

    assert len(points(weekly)) == 13 and len(points(daily)) == 90
    assert 'id="trend" data-by="week"' in weekly and 'id="trend" data-by="day"' in daily
    assert 'href="?days=30&amp;trend=day#trend"' in weekly  # the toggle keeps the page's other choices
    assert points(weekly)[-1]["carts"] == 3 and "call_first_carts" in points(daily)[0]


def test_the_csvs_carry_plain_numbers_and_the_change_in_its_own_column(client, supervisor_user, team):
    import csv
    import io
    from decimal import InvalidOperation

    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        files = {name: list(csv.reader(io.StringIO(client.get(url).content.decode()))) for name, url in {
            "board": "/dashboards/?format=csv", "leaderboard": "/dashboards/?table=leaderboard&format=csv",
            "trend": "/dashboards/?table=trend&format=csv", "daily": "/dashboards/?table=trend&format=csv&trend=day",
            "frictions": "/dashboards/?table=frictions&format=csv",
        }.items()}

    def number(cell: str) -> Decimal:
        try:
            parsed = Decimal(cell)
        except InvalidOperation:
            raise AssertionError(f"{cell!r} is not a plain number") from None
        assert len(cell.split(".")[-1]) <= 2 or "." not in cell, cell  # no 16-digit float
        return parsed

    # every value and change cell of the board is empty or a plain number; the unit has its own column
    board = files["board"]
    assert board[0][:5] == ["section", "metric", "unit", "last 30 days", "change vs the 30 days before"]
    for row in board[1:]:
        assert len(row) == 9, row
        for cell in row[3:]:
            if cell:
                number(cell)
    rate = next(row for row in board if row[1] == "Recovery rate")
    assert rate[2] == "%" and rate[3] == "33.3"  # one of the three carts
    value = next(row for row in board if row[1] == "Value recovered")
    assert value[2] == "$" and value[3] == "300.00" and value[4] == "300.00"  # nothing the window before
    # the breakdowns: every cell but the names is a plain number
    for name, skip in (("leaderboard", 1), ("trend", 2), ("daily", 2), ("frictions", 1)):
        for row in files[name][1:]:
            for cell in row[skip:]:
                if cell:
                    number(cell)
    maya = files["leaderboard"][1]
    assert maya[0] == "Maya" and maya[6] == "300.00" and maya[7] == "4.0"
    assert len(files["daily"]) == 91 and len(files["trend"]) == 14


def test_empty_breakdowns():
    assert leaderboard(WINDOW) == [] and frictions(WINDOW) == [] and resolutions(WINDOW) == []


def test_the_dashboard_shows_the_breakdowns_and_exports_each_table(client, supervisor_user, team):
    import csv
    import io

    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/?days=30").content.decode()
        leaderboard_csv = client.get("/dashboards/?table=leaderboard&format=csv&days=30").content.decode()
        trend_csv = client.get("/dashboards/?table=trend&format=csv").content.decode()
    assert 'id="leaderboard"' in page and "Maya" in page and "100.0%" in page  # Maya's script adherence
    assert 'id="trend-data"' in page and "chart.umd.min.js" in page
    rows = list(csv.reader(io.StringIO(leaderboard_csv)))
    assert rows[0][0] == "agent" and rows[1][:6] == ["Maya", "2", "50.0", "2", "1", "50.0"]
    trend = list(csv.reader(io.StringIO(trend_csv)))
    assert trend[0][:2] == ["from", "to"] and len(trend) == 14  # header + the 13 weeks the chart shows


def test_free_text_in_the_tables_downloads_as_text_never_as_a_formula(client, supervisor_user, build_rollups):
    # given: an agent's free-text offer and a friction label a spreadsheet would run
    import csv
    import io

    import time_machine

    store, agent = StoreFactory(), UserFactory(username="maya", first_name="Maya")
    FrictionReason.objects.create(code="formula", label="@SUM(1)")
    call(CartFactory(store=store, abandoned_at=T), agent, T, 5, answer="reached", steps=range(1, 8),
         frictions=["formula"], offered=['=HYPERLINK("http://x","y")'], resolved="yes")
    build_rollups(NOW)
    client.force_login(supervisor_user)

    # when
    with time_machine.travel(NOW, tick=False):
        offers = client.get("/dashboards/?table=resolutions&format=csv&days=30").content.decode()
        labels = client.get("/dashboards/?table=frictions&format=csv&days=30").content.decode()

    # then
    assert ["'=HYPERLINK(\"http://x\",\"y\")", "1", "1", "100.0"] in list(csv.reader(io.StringIO(offers)))
    assert "'@SUM(1)" in [row[0] for row in csv.reader(io.StringIO(labels))]


def test_the_leaderboards_handle_time_is_the_calls_talk_and_after_call_work(build_rollups):
    # given a call taken 10 minutes before its wrap-up, on which the customer talked 4 minutes, then 1 of wrap-up
    store, maya = StoreFactory(), UserFactory(username="maya", first_name="Maya")
    kept = call(CartFactory(store=store, abandoned_at=T), maya, T, 10, answer="reached", steps=[1, 6, 7])
    Call.objects.filter(pk=kept.pk).update(talk_seconds=240, after_call_seconds=60)
    build_rollups(NOW)

    # then handle time is the line's talk time and the after-call work, not the time the call stood open
    (row,) = leaderboard(WINDOW)
    assert row.handle_minutes == 5.0
