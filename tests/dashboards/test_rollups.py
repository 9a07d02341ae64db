"""The daily roll-ups the dashboard reads: built from the raw rows, kept current, and exact where it matters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from agents.models import AgentProfile, AgentStatusChange
from dashboards.metrics import Filters, Window, bucket_width, median_of_buckets, window_metrics
from dashboards.models import CartsByDay, DutyByDay, RolledUpDay
from dashboards.rollups import ROLLUP_MAX_AGE, days_due, rollups_refresh
from dashboards.selectors import rollups_freshness
from tests.dashboards.helpers import cart
from tests.factories import StoreFactory, UserFactory, attempt

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def test_the_median_is_read_from_the_buckets_with_their_values_spread_evenly():
    assert median_of_buckets({}) is None
    assert median_of_buckets({180: 1}) == 182.5  # the middle of [180, 185)
    assert median_of_buckets({180: 1, 1200: 1}) == (182.5 + 1215) / 2  # [1200, 1230): 30 s wide past ten minutes
    # Of 8, the 4th and 5th: the 1st and 2nd of the five in [900, 930), at 903 and 909.
    assert median_of_buckets({0: 2, 20: 1, 900: 5}) == 906
    assert median_of_buckets({7: 3}) == 7.5


def test_on_many_waits_the_median_from_the_buckets_is_within_half_a_bucket_of_the_exact_one():
    import random
    import statistics

    from dashboards.metrics import WAIT_BUCKETS

    generator = random.Random(7)
    for _ in range(20):
        waits = [generator.expovariate(1 / 240) for _ in range(generator.randint(200, 2000))]
        counts: dict[int, int] = {}
        for wait in waits:
            width = next((width for below, width in WAIT_BUCKETS if wait < below), 3600)
            counts[int(wait // width * width)] = counts.get(int(wait // width * width), 0) + 1
        exact = statistics.median(waits)
        assert abs(median_of_buckets(counts) - exact) <= bucket_width(int(exact)) / 2  # 2.5 s here


def test_a_wait_is_kept_in_its_bucket_by_its_lower_bound():
    store = StoreFactory()
    start = NOW - timedelta(days=1)
    for seconds in (7.5, 61, 601, 3601, 90061):
        cart(store, abandoned_at=start, workable_since=start, first_attempt_at=start + timedelta(seconds=seconds))
    cart(store, abandoned_at=start, workable_since=start)  # never attempted: no wait, still in the denominator
    rollups_refresh(days=2, now=NOW)
    row = CartsByDay.objects.get(day=TODAY - timedelta(days=1), agent_id=0)
    assert row.waits == {"7": 1, "60": 1, "600": 1, "3600": 1, "90000": 1}
    assert (row.timed, row.within_5, row.within_30) == (6, 2, 3)


def test_a_read_never_builds_and_says_which_days_are_not_built():
    # given a cart abandoned today and no roll-ups built
    store = StoreFactory()
    cart(store, abandoned_at=NOW - timedelta(hours=1))
    window = Window.last(3, now=NOW)
    # when the numbers are read, then nothing is built and the page is told today is not built yet
    assert window_metrics(window).values["carts"] == 0
    assert not RolledUpDay.objects.exists()
    freshness = rollups_freshness(now=NOW)
    assert (freshness.as_of, freshness.today_behind) == (None, False)
    # when beat builds today, then the read takes it in and the page says how fresh it is
    rollups_refresh(days=3, now=NOW)
    assert window_metrics(window).values["carts"] == 1
    assert rollups_freshness(now=NOW).as_of == NOW
    # Past ROLLUP_MAX_AGE with no new build, the read stays as built and the page says today is behind.
    cart(store, abandoned_at=NOW - timedelta(minutes=30))
    later = NOW + ROLLUP_MAX_AGE + timedelta(seconds=1)
    assert window_metrics(Window.last(3, now=later)).values["carts"] == 1
    assert rollups_freshness(now=later).today_behind


def test_a_day_built_after_it_ended_is_kept_until_a_refresh_takes_in_a_late_change():
    store = StoreFactory()
    old = cart(store, abandoned_at=NOW - timedelta(days=9))
    window = Window.last(30, now=NOW)
    rollups_refresh(days=30, now=NOW)
    assert window_metrics(window).values["recovered"] == 0
    assert days_due(window.first_day, window.last_day, now=NOW) == []
    old.status, old.recovered_value, old.recovered_at = "recovered", Decimal("120"), NOW - timedelta(hours=1)
    old.save()  # an order matched to a nine-day-old cart
    assert window_metrics(window).values["recovered"] == 0  # that day was complete: not read again
    assert rollups_refresh(days=14, now=NOW) == 14  # what beat runs every ten minutes
    assert window_metrics(window).values["recovered"] == 1


def test_an_agents_rows_count_the_carts_that_agent_contacted_and_only_their_attempts():
    store = StoreFactory()
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    shared, hers = cart(store, first_attempt_at=NOW), cart(store)
    attempt(shared, "voice", NOW - timedelta(days=9), agent=maya, outcome="no_answer")
    attempt(shared, "voice", NOW - timedelta(days=9), agent=sam, outcome="no_answer")
    attempt(shared, "email", NOW - timedelta(days=9), outcome="sent")
    attempt(hers, "voice", NOW - timedelta(days=9), agent=maya, outcome="not_interested")
    rollups_refresh(days=30, now=NOW)
    window = Window.last(30, now=NOW)
    everyone = window_metrics(window).values
    for_maya, for_sam = (window_metrics(window, Filters(agent_id=agent.pk)) for agent in (maya, sam))
    assert (everyone["carts"], everyone["attempts"]) == (2, 4)
    assert (for_maya.values["carts"], for_maya.values["attempts"]) == (2, 2)
    assert (for_sam.values["carts"], for_sam.values["attempts"]) == (1, 1)
    assert for_sam.by_channel["conversion"]["email"]["contacted_carts"] == 1  # the cart's email, sent by the system
    assert for_sam.lift.contacted_carts == 2  # the lift has no agent: it counts every cart


def test_a_shift_across_midnight_is_split_between_the_days_and_costs_the_same():
    maya = UserFactory(username="maya")
    AgentProfile.objects.create(user=maya, hourly_cost=Decimal("20.00"))
    evening = datetime(2026, 11, 17, 22, 0, tzinfo=UTC)
    AgentStatusChange.objects.create(agent=maya, status="available", at=evening)
    AgentStatusChange.objects.create(agent=maya, status="away", at=evening + timedelta(hours=3))
    rollups_refresh(days=30, now=NOW)
    assert window_metrics(Window.last(30, now=NOW)).values["team_cost"] == Decimal("60.00")
    assert dict(DutyByDay.objects.values_list("day", "seconds")) == {date(2026, 11, 17): 7200.0,
                                                                     date(2026, 11, 18): 3600.0}


def test_days_are_those_of_the_operations_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    store = StoreFactory()
    cart(store, abandoned_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))  # 22:00 on the 19th in New York
    rollups_refresh(days=3, now=NOW)
    assert list(CartsByDay.objects.filter(agent_id=0).values_list("day", flat=True)) == [date(2026, 11, 19)]
    window = Window.last(1, now=NOW)  # today in New York began at 05:00 UTC
    assert window.start == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert window_metrics(window).values["carts"] == 0
    assert window_metrics(Window.last(2, now=NOW)).values["carts"] == 1


def test_rebuilding_a_day_replaces_its_rows():
    store = StoreFactory()
    cart(store, abandoned_at=NOW - timedelta(days=2))
    rollups_refresh(days=3, now=NOW)
    rollups_refresh(days=3, now=NOW)
    assert CartsByDay.objects.filter(agent_id=0).count() == 1


def test_the_command_rebuilds_every_day_with_data_or_the_last_few(capsys):
    store = StoreFactory()
    cart(store, abandoned_at=datetime.now(UTC) - timedelta(days=4))
    call_command("rollup_dashboards")  # the 180 days the dashboard reads, and any day with data before them
    assert "Rebuilt the roll-ups of 180 days" in capsys.readouterr().out
    cart(store, abandoned_at=datetime.now(UTC) - timedelta(days=200))
    call_command("rollup_dashboards")
    assert "Rebuilt the roll-ups of 201 days" in capsys.readouterr().out
    call_command("rollup_dashboards", "--days", "1")
    assert "Rebuilt the roll-ups of 1 day " in capsys.readouterr().out
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        call_command("rollup_dashboards", "--days", "0")


def test_beat_refreshes_today_every_minute_recent_days_and_everything_nightly(settings):
    from dashboards import tasks

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["dashboards.tasks.refresh_rollups_today_task"] == 60.0
    assert schedule["dashboards.tasks.refresh_rollups_recent_task"] == 600.0
    assert "dashboards.tasks.refresh_rollups_all_task" in schedule
    store = StoreFactory()
    cart(store, abandoned_at=datetime.now(UTC) - timedelta(days=2))
    assert tasks.refresh_rollups_today_task.delay().get() == 1
    assert tasks.refresh_rollups_recent_task.delay().get() == 14
    assert tasks.refresh_rollups_all_task.delay().get() == 180


def test_the_median_of_every_store_and_of_one_store_come_from_the_merged_waits():
    from dashboards.models import WaitsByDay

    north, south = StoreFactory(), StoreFactory()
    start = NOW - timedelta(days=2)
    for store, minutes in ((north, 2), (north, 4), (south, 30)):
        cart(store, abandoned_at=start, workable_since=start, first_attempt_at=start + timedelta(minutes=minutes))
    rollups_refresh(days=30, now=NOW)
    window = Window.last(30, now=NOW)
    every_store = window_metrics(window).values["median_minutes_to_first_contact"]
    only_north = window_metrics(window, Filters(store_ids=(north.pk,))).values["median_minutes_to_first_contact"]
    # Within half of a 5-second bucket: 4 min is read as 242.5 s.
    assert every_store == pytest.approx(4, abs=3 / 60) and only_north == pytest.approx(3, abs=3 / 60)
    merged = WaitsByDay.objects.get(day=TODAY - timedelta(days=2), store_id=0, agent_id=0)
    assert (merged.bounds, merged.counts) == ([120, 240, 1800], [1, 1, 1])
    assert window_metrics(window, Filters(route="automated_first")).values["median_minutes_to_first_contact"] is None
