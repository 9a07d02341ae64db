"""Every dashboard number against a hand-computed value on a small fixed data set, and the empty case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agents.models import AgentProfile, AgentStatusChange
from dashboards.metrics import Filters, Window, window_metrics
from tests.dashboards.helpers import NOW, T, cart
from tests.factories import StoreFactory, UserFactory, attempt

pytestmark = pytest.mark.django_db
WINDOW = Window.last(30, now=NOW)


@pytest.fixture
def data(build_rollups):
    store = StoreFactory()
    maya = UserFactory(username="maya")
    AgentProfile.objects.create(user=maya, hourly_cost=Decimal("30.00"))
    c1 = cart(store, first_attempt_at=T + timedelta(minutes=3), status="recovered", recovered_value=Decimal("300"),
              upsell_value=Decimal("50"), attribution="contacted", recovered_channel="voice",
              recovered_at=T + timedelta(days=1))
    attempt(c1, "voice", T + timedelta(minutes=3), agent=maya, outcome="recovered")
    c2 = cart(store, first_attempt_at=T + timedelta(minutes=20))
    attempt(c2, "voice", T + timedelta(minutes=20), agent=maya, outcome="no_answer")
    attempt(c2, "sms", T + timedelta(hours=1), outcome="sent", provider_status="delivered")
    attempt(c2, "sms", T + timedelta(hours=2), outcome="not_sent", provider_status="failed")  # never left
    cart(store)  # call first, never attempted
    c4 = cart(store, route="automated_first", workable_since=None, total_value=Decimal("100"), status="recovered",
              recovered_value=Decimal("100"), upsell_value=Decimal("0"), attribution="contacted",
              recovered_channel="email", recovered_at=T + timedelta(days=2))
    attempt(c4, "email", T + timedelta(hours=1), outcome="sent")
    cart(store, in_control_group=True, status="recovered", recovered_value=Decimal("80"), attribution="control",
         recovered_at=T + timedelta(days=1))
    cart(store, in_control_group=True)
    cart(store, abandoned_at=NOW - timedelta(days=40), status="recovered", recovered_value=Decimal("999"))
    AgentStatusChange.objects.create(agent=maya, status="available", at=NOW - timedelta(days=5))
    AgentStatusChange.objects.create(agent=maya, status="away", at=NOW - timedelta(days=5) + timedelta(hours=4))
    AgentStatusChange.objects.create(agent=maya, status="available", at=NOW - timedelta(hours=2))  # still on
    build_rollups(NOW)
    return store, maya


def test_speed_to_lead(data):
    values = window_metrics(WINDOW).values
    assert values["contacted_within_5_min"] == pytest.approx(1 / 3)
    assert values["contacted_within_30_min"] == pytest.approx(2 / 3)
    # 3 and 20 minutes: 11.5, known from the roll-up's buckets ([180, 185) and [1200, 1230)) to within 15 s.
    assert values["median_minutes_to_first_contact"] == pytest.approx(11.5, abs=0.25)


def test_response_by_channel(data):
    response = window_metrics(WINDOW).by_channel["response"]
    assert response["voice"] == {"attempts": 2, "reached": 1, "reach_rate": 0.5}
    assert response["sms"] == {"attempts": 1, "reached": 1, "reach_rate": 1.0}
    assert response["email"] == {"attempts": 1, "reached": 1, "reach_rate": 1.0}


def test_recovery(data):
    values = window_metrics(WINDOW).values
    assert (values["carts"], values["recovered"], values["recovery_rate"]) == (4, 2, 0.5)
    assert values["recovered_value"] == Decimal("400")
    assert values["value_per_cart"] == pytest.approx(100.0)
    assert values["recovered_order_value"] == pytest.approx(200.0)
    assert values["attempts_per_recovered_cart"] == pytest.approx(1.0)
    assert values["upsell_value"] == Decimal("50")
    assert values["attempts"] == 4 and values["revenue_per_attempt"] == pytest.approx(100.0)


def test_conversion_by_channel(data):
    conversion = window_metrics(WINDOW).by_channel["conversion"]
    assert conversion["voice"] == {"contacted_carts": 2, "converted": 1, "conversion": 0.5}
    assert conversion["sms"] == {"contacted_carts": 1, "converted": 0, "conversion": 0.0}
    assert conversion["email"] == {"contacted_carts": 1, "converted": 1, "conversion": 1.0}


def test_the_business_case(data):
    metrics = window_metrics(WINDOW)
    assert metrics.values["team_cost"] == Decimal("180.00")  # 4 h + 2 h at 30/h
    assert metrics.values["roi"] == pytest.approx((400 - 180) / 180)
    lift = metrics.lift
    assert (lift.contacted_rate, lift.control_rate, lift.lift) == (0.5, 0.5, 0.0)
    assert (lift.contacted_carts, lift.control_carts, lift.too_small) == (4, 2, True)


def test_lift_with_enough_carts_has_a_confidence_interval(build_rollups):
    store = StoreFactory()
    for index in range(100):
        cart(store, status="recovered" if index < 30 else "open")
    for index in range(100):
        cart(store, in_control_group=True, status="recovered" if index < 20 else "open")
    build_rollups(NOW)
    lift = window_metrics(WINDOW).lift
    assert lift.lift == pytest.approx(10.0) and not lift.too_small
    margin = 1.96 * (0.3 * 0.7 / 100 + 0.2 * 0.8 / 100) ** 0.5 * 100  # 12.0 points
    assert (lift.low, lift.high) == (pytest.approx(10.0 - margin), pytest.approx(10.0 + margin))


def test_filters_by_store_agent_and_route(data):
    store, maya = data
    other = window_metrics(WINDOW, Filters(store_ids=(StoreFactory().pk,))).values
    assert other["carts"] == 0 and other["team_cost"] == Decimal("0.00")  # nobody worked that store
    assert window_metrics(WINDOW, Filters(store_ids=(store.pk,))).values["team_cost"] == Decimal("180.00")
    by_agent = window_metrics(WINDOW, Filters(agent_id=maya.pk))
    assert by_agent.values["carts"] == 2 and by_agent.values["attempts"] == 2
    assert by_agent.by_channel["response"]["sms"]["attempts"] == 0
    assert window_metrics(WINDOW, Filters(route="automated_first")).values["carts"] == 1


def test_the_empty_window_divides_by_nothing():
    metrics = window_metrics(WINDOW)
    values = metrics.values
    for name in ("contacted_within_5_min", "contacted_within_30_min", "median_minutes_to_first_contact",
                 "recovery_rate", "value_per_cart", "recovered_order_value", "attempts_per_recovered_cart",
                 "revenue_per_attempt", "roi"):
        assert values[name] is None, name
    assert values["recovered_value"] == Decimal("0") and values["team_cost"] == Decimal("0.00")
    assert metrics.by_channel["response"]["voice"]["reach_rate"] is None
    assert metrics.lift.too_small and metrics.lift.lift is None


def test_a_window_is_whole_days_and_the_previous_one_the_same_number_of_days_before():
    assert Window(datetime(2026, 10, 22, tzinfo=UTC), NOW) == WINDOW  # today so far and the 29 days before
    assert WINDOW.previous == Window(datetime(2026, 9, 22, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC))
    assert (WINDOW.days, WINDOW.previous.days) == (30, 30)
    assert (WINDOW.first_day.isoformat(), WINDOW.last_day.isoformat()) == ("2026-10-22", "2026-11-20")
    assert WINDOW.previous.last_day.isoformat() == "2026-10-21"


def test_the_dashboard_page_shows_the_three_windows_with_changes(client, supervisor_user, data):
    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/").content.decode()
    row = page[page.index('id="metric-recovery_rate"'):]
    row = row[:row.index("</tr>")]
    # 30 days: 2 of 4 recovered; the 30 days before had none (no change to state); 60 and 90 days include the
    # 40-day-old recovered cart: 3 of 5.
    assert row.count("50.0%") == 1 and row.count("60.0%") == 2
    assert "Lift over the control group" in page and "sample too small to conclude" in page
    assert "$400.00" in page and "Team cost" in page


def test_the_dashboard_page_says_when_today_is_not_built_and_never_builds_it(client, supervisor_user):
    import time_machine

    from dashboards.models import RolledUpDay

    # given a cart of today and no roll-ups built (no scheduler running)
    cart(StoreFactory(), abandoned_at=NOW - timedelta(hours=1))
    client.force_login(supervisor_user)
    # when a supervisor opens the dashboard
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/").content.decode()
    # then the page says today is not built yet, and the GET built nothing
    freshness = page[page.index('id="figures-freshness"'):]
    assert "Today not built yet" in freshness[:freshness.index("</p>")]
    assert "179 earlier days not built yet" in freshness[:freshness.index("</p>")]
    assert not RolledUpDay.objects.exists()


def test_the_dashboard_page_says_how_fresh_the_figures_are(client, supervisor_user, data):
    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        current = client.get("/dashboards/").content.decode()
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        behind = client.get("/dashboards/").content.decode()
    assert "Figures up to 12:00 (UTC); the scheduler (celery beat) rebuilds today every minute." in current
    assert "earlier day" not in current[current.index('id="figures-freshness"'):].split("</p>")[0]
    assert "Figures up to 12:00 (UTC), more than 5 minutes ago" in behind


def test_the_dashboard_downloads_as_csv(client, supervisor_user, data):
    import csv
    import io

    import time_machine

    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/dashboards/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["section", "metric", "unit", "last 30 days", "change vs the 30 days before"]
    rate = next(row for row in rows if row[1] == "Recovery rate")
    assert rate[2] == "%" and rate[3] == "50.0" and rate[5] == "60.0"
    too_small = next(row for row in rows if row[1].startswith("Sample too small"))
    assert too_small[0] == "Lift over the control group" and too_small[3] == "1"


def test_agents_do_not_see_the_dashboard(client, agent_user):
    client.force_login(agent_user)
    assert client.get("/dashboards/").status_code == 403
