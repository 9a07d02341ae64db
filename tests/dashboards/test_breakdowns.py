"""Leaderboard, frictions, resolutions and the daily trend against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.models import Call, FrictionReason
from dashboards.breakdowns import daily_trend, frictions, leaderboard, resolutions
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
    assert rows[0][0] == "agent" and rows[1][:6] == ["Maya", "2", "0.5", "2", "1", "0.5"]
    trend = list(csv.reader(io.StringIO(trend_csv)))
    assert trend[0][0] == "day" and len(trend) == 91  # header + the 90 days the chart shows


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
    assert ["'=HYPERLINK(\"http://x\",\"y\")", "1", "1", "1.0"] in list(csv.reader(io.StringIO(offers)))
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
