"""A supervisor reads the 30/60/90-day dashboard and the live view in headless Chromium, against the database.

Every number the test expects is computed here from the rows it built (plain queries and Python arithmetic,
not the dashboards' own code), so a regression in an aggregation shows up as a mismatch on the screen. The clock
is frozen at a fixed afternoon (UTC), ticking from there (`calling_hours_clock`), and the history is built relative
to `timezone.now()`, well away from the edges of the windows (the server's clock runs a few seconds ahead of the
one the data was built with, never across midnight).

Screens are saved for review in dashboards/ of the screenshots folder (see the `screenshots` fixture).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from agents.models import AgentProfile, AgentStatusChange, Call, Callback, FrictionReason
from agents.services.calls import agent_status_set
from compliance.models import ContactAttempt
from core.access import AGENT, SUPERVISOR
from dashboards.models import RolledUpDay
from dashboards.rollups import rollups_refresh
from recovery.models import Cart, Store
from tests.e2e.helpers import wait_until
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory, attempt

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "dashboard-e2e-pw"
WINDOWS = (30, 60, 90)
SPOKEN = ("recovered", "link_sent", "callback", "not_interested", "do_not_call")
CHARTS = ("chart-carts", "chart-rates", "chart-value")
REFRESH_WAIT_MS = 6_500  # the panel polls every 5 s; a little slack for the request itself


# --- the data set -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    now: datetime
    north: Store
    south: Store
    maya: object
    sam: object


def day(now: datetime, days: float, hours: float = 0) -> datetime:
    return now - timedelta(days=days, hours=hours)


def since(now: datetime, days: int) -> datetime:
    """Where the dashboard's window of `days` starts: the UTC midnight of today - (days - 1)."""
    return datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), tzinfo=now.tzinfo)


def past_cart(store, at: datetime, *, route="call_first", status="lost", value=None, attribution="", by=None,
              channel="", control=False, first_minutes=None, **fields) -> Cart:
    """A cart abandoned at `at`, workable from then; recovered a day later when `value` is given."""
    recovered = {"status": "recovered", "recovered_value": Decimal(value), "recovered_at": at + timedelta(days=1),
                 "attribution": attribution, "recovered_by": by, "recovered_channel": channel} if value else {}
    first_attempt_at = None if first_minutes is None else at + timedelta(minutes=first_minutes)
    return CartFactory(store=store, abandoned_at=at, route=route, in_control_group=control,
                       first_attempt_at=first_attempt_at, **{"status": status, "workable_since": at, **recovered,
                                                             **fields})


def dialed(cart, agent, *, minutes: int, outcome: str, answer: str, steps, after: int = 3, frictions=(),
           offered=(), resolved="") -> Call:
    """A call through the script: its voice attempt (with its decision), the steps reached and the frictions."""
    at = cart.abandoned_at + timedelta(minutes=after)
    call = Call.objects.create(
        cart=cart, agent=agent, opened_at=at, wrapped_up_at=at + timedelta(minutes=minutes), answer=answer,
        step=max(steps), step_times={str(step): (at + timedelta(seconds=30 * step)).isoformat() for step in steps},
        offered=list(offered), resolved=resolved, disposition=outcome,
        attempt=attempt(cart, "voice", at, agent=agent, outcome=outcome))
    call.frictions.set(FrictionReason.objects.filter(code__in=frictions))
    return call


def shifts(agent, now: datetime, *stretches: tuple[float, float]) -> None:
    """On duty (available) from `days` ago for `hours`, through the service that keeps the status log."""
    for days, hours in stretches:
        agent_status_set(agent, AgentProfile.Status.AVAILABLE, now=day(now, days))
        agent_status_set(agent, AgentProfile.Status.AWAY, now=day(now, days) + timedelta(hours=hours))


@pytest.fixture
def history(db, calling_hours_clock) -> History:
    """Two stores, two agents with hourly costs and shifts, 150 days of carts, and the floor as it is now."""
    now = timezone.now()
    north = StoreFactory(name="North Outfitters", shop_domain="north.myshopify.com")
    south = StoreFactory(name="South Coffee", shop_domain="south.myshopify.com")
    maya = UserFactory(username="maya", first_name="Maya", last_name="Ortiz", role=AGENT)
    sam = UserFactory(username="sam", first_name="Sam", last_name="Lee", role=AGENT)
    AgentProfile.objects.create(user=maya, hourly_cost=Decimal("30.00"), status="away")
    AgentProfile.objects.create(user=sam, hourly_cost=Decimal("25.00"), status="away")
    shifts(maya, now, (40, 5), (10, 6), (3, 4))
    shifts(sam, now, (6, 8))
    waiting = past_carts(now, north, south, maya, sam)
    floor_now(now, north, south, maya, sam, waiting)
    rollups_refresh(now=now)  # what beat does every minute: the dashboard's GET reads the roll-ups, never builds them
    return History(now, north, south, maya, sam)


def past_carts(now: datetime, north: Store, south: Store, maya, sam) -> Cart:
    """The history the windows count; returns the open cart Maya owes a callback on."""
    # The last 30 days: two calls by Maya on North, one recovered; Sam's call on South recovered after a link;
    # an automated-first cart recovered by email; an open cart Maya left a voicemail on; two control carts.
    won = past_cart(north, day(now, 3, 2), value="300", attribution="contacted", by=maya, channel="voice",
                    first_minutes=3)
    dialed(won, maya, minutes=6, outcome="recovered", answer="reached", steps=range(1, 8),
           frictions=["price", "payment_failed"], offered=["Offer a payment link by email or text"], resolved="yes")
    missed = past_cart(north, day(now, 3, 1), first_minutes=20)
    dialed(missed, maya, minutes=2, outcome="no_answer", answer="no_answer", steps=[1, 6, 7], after=20)
    linked = past_cart(south, day(now, 6), value="450", attribution="contacted", by=sam, channel="voice",
                       first_minutes=4)
    dialed(linked, sam, minutes=10, outcome="link_sent", answer="reached", steps=[1, 2, 3, 6, 7], after=4,
           frictions=["shipping_costs"], offered=["Offer the cheaper delivery option"], resolved="partly")
    emailed = past_cart(south, day(now, 12), route="automated_first", value="120", attribution="contacted",
                        channel="email")
    attempt(emailed, "sms", emailed.abandoned_at + timedelta(hours=1), outcome="sent", provider_status="delivered")
    attempt(emailed, "email", emailed.abandoned_at + timedelta(hours=24), outcome="sent")
    waiting = past_cart(north, day(now, 20), status="open", first_minutes=8, call_attempts=1,
                        next_call_at=now + timedelta(hours=20))
    dialed(waiting, maya, minutes=1, outcome="voicemail", answer="voicemail", steps=[1, 6, 7], after=8)
    past_cart(north, day(now, 8), control=True, value="80", attribution="control")
    past_cart(south, day(now, 15), control=True)
    texted = past_cart(north, day(now, 25), route="automated_first")
    attempt(texted, "sms", texted.abandoned_at + timedelta(hours=1), outcome="sent", provider_status="delivered")
    # 30 to 60 days ago, 60 to 90 days ago, and before (the previous windows the changes compare with).
    earlier = past_cart(north, day(now, 40), value="200", attribution="contacted", by=maya, channel="voice",
                        first_minutes=2)
    dialed(earlier, maya, minutes=5, outcome="recovered", answer="reached", steps=range(1, 8), after=2)
    unanswered = past_cart(south, day(now, 45), first_minutes=30)
    dialed(unanswered, sam, minutes=1, outcome="no_answer", answer="no_answer", steps=[1, 6, 7], after=30)
    past_cart(north, day(now, 50), control=True)
    past_cart(north, day(now, 75), route="automated_first", value="950", attribution="self_recovered")
    past_cart(south, day(now, 80))
    past_cart(north, day(now, 130), value="500", attribution="self_recovered")
    past_cart(south, day(now, 150))
    return waiting


def floor_now(now: datetime, north: Store, south: Store, maya, sam, waiting: Cart) -> None:
    """A call-first cart past the 5-minute rule, one within it (Sam has taken it: his call is open and the cart
    leased to him, as the queue does), an automated-first one, and Maya's callback due in 10 minutes."""
    past_cart(north, day(now, 0, 1), status="open", workable_since=now - timedelta(minutes=45))
    fresh = past_cart(south, day(now, 0, 0.25), status="open", workable_since=now - timedelta(minutes=1),
                      customer=CustomerFactory(store=south, first_name="Lena", last_name="Park"),
                      reserved_by=sam, reserved_until=now + timedelta(minutes=8))
    past_cart(south, day(now, 0, 4), route="automated_first", status="open", workable_since=now - timedelta(hours=3))
    Call.objects.create(cart=fresh, agent=sam, opened_at=now - timedelta(minutes=2))
    # Sam's current status is set on the profile only: an open stretch in the status log would make the team
    # cost grow with the clock while the test runs.
    AgentProfile.objects.filter(user=sam).update(status="on_call", status_since=now - timedelta(minutes=2),
                                                 is_available=True)
    Callback.objects.create(cart=waiting, agent=maya, due_at=now + timedelta(minutes=10),
                            customer_timezone="America/New_York", local_time="today 10:10")


@pytest.fixture
def supervisor(db):
    user = UserFactory(username="rosa", first_name="Rosa", last_name="Diaz", role=SUPERVISOR)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def screen(page):
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def shots(screenshots) -> Path:
    folder = screenshots / "dashboards"
    folder.mkdir(exist_ok=True)
    return folder


# --- what the screens should show, computed from the database ------------------------------------------------


def share(part, whole) -> str:
    return "–" if not whole else f"{part * 100 / whole:.1f}%"


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def recovery(start: datetime, end: datetime, store: Store | None = None) -> dict:
    """The team's carts abandoned in [start, end): how many, how many recovered, the rate and the value."""
    carts = Cart.objects.filter(abandoned_at__gte=start, abandoned_at__lt=end, in_control_group=False)
    if store is not None:
        carts = carts.filter(store=store)
    rows = list(carts.values_list("status", "recovered_value"))
    values = [value for status, value in rows if status == "recovered"]
    return {"carts": len(rows), "recovered": len(values), "rate": len(values) / len(rows) if rows else None,
            "value": sum(values, Decimal("0"))}


def rate_change(rate, before) -> str:
    if rate is None or before is None:
        return "–"
    if rate == before:
        return "= no change"
    return f"{'▲' if rate > before else '▼'} {abs(rate - before) * 100:.1f} pts"


def headline(now: datetime, store: Store | None = None) -> dict[int, dict]:
    expected = {}
    for days in WINDOWS:
        current = recovery(since(now, days), now, store)
        before = recovery(since(now, 2 * days), since(now, days), store)
        expected[days] = {**current, "change": rate_change(current["rate"], before["rate"])}
    return expected


def group_sizes(now: datetime, days: int, store: Store | None = None) -> tuple[int, int]:
    carts = Cart.objects.filter(abandoned_at__gte=since(now, days), abandoned_at__lt=now)
    if store is not None:
        carts = carts.filter(store=store)
    return carts.filter(in_control_group=False).count(), carts.filter(in_control_group=True).count()


def team_cost(now: datetime, days: int) -> Decimal:
    """Hours on duty (each stretch of the status log that is not away) times the agent's hourly cost."""
    total = Decimal("0")
    for profile in AgentProfile.objects.all():
        log = list(AgentStatusChange.objects.filter(agent=profile.user).order_by("at").values_list("status", "at"))
        for (status, start), (_following, end) in zip(log, log[1:], strict=False):
            if status != "away" and start >= since(now, days):
                total += profile.hourly_cost * Decimal((end - start).total_seconds()) / 3600
    return total.quantize(Decimal("0.01"))


def agent_numbers(now: datetime, agent, days: int = 30, store: Store | None = None) -> dict:
    """The agent's leaderboard numbers: voice attempts and how many were spoken on, the carts called, the
    recoveries credited to them, handle times of the dialed calls, and reached calls through all five steps."""
    start = since(now, days)
    attempts = ContactAttempt.objects.filter(agent=agent, channel="voice", at__gte=start)
    calls = Call.objects.filter(agent=agent, attempt__isnull=False, opened_at__gte=start)
    credited = Cart.objects.filter(recovered_by=agent, status="recovered", recovered_at__gte=start)
    if store is not None:
        attempts, calls, credited = (attempts.filter(store=store), calls.filter(cart__store=store),
                                     credited.filter(store=store))
    made = list(attempts.values_list("outcome", "cart_id"))
    reached = [steps for answer, steps in calls.values_list("answer", "step_times") if answer == "reached"]
    return {"name": agent.get_full_name(), "attempts": len(made),
            "spoken": sum(outcome in SPOKEN for outcome, _cart in made),
            "carts": len({cart_id for _outcome, cart_id in made}), "recovered": credited.count(),
            "value": sum(credited.values_list("recovered_value", flat=True), Decimal("0")),
            "handles": [(end - opened).total_seconds() / 60
                        for opened, end in calls.values_list("opened_at", "wrapped_up_at")],
            "reached": len(reached), "complete": sum("5" in steps for steps in reached)}


def leaderboard_row(now: datetime, agent, days: int = 30, store: Store | None = None) -> list[str]:
    """The agent's row as the leaderboard should show it."""
    numbers = agent_numbers(now, agent, days, store)
    handles = numbers["handles"]
    return [numbers["name"], str(numbers["attempts"]), share(numbers["spoken"], numbers["attempts"]),
            str(numbers["carts"]), str(numbers["recovered"]), share(numbers["recovered"], numbers["carts"]),
            money(numbers["value"]), f"{sum(handles) / len(handles):.1f} min" if handles else "–",
            share(numbers["complete"], numbers["reached"])]


def daily_counts(now: datetime, days_back: int = 90) -> dict[str, tuple[int, int]]:
    """Per UTC day of abandonment over the last 90 days: the team's carts and how many were recovered."""
    days: dict[str, list[int]] = {}
    for at, status in Cart.objects.filter(abandoned_at__gte=since(now, days_back),
                                          in_control_group=False).values_list("abandoned_at", "status"):
        counts = days.setdefault(at.date().isoformat(), [0, 0])
        counts[0] += 1
        counts[1] += status == "recovered"
    return {key: (carts, recovered) for key, (carts, recovered) in days.items()}


def ready_to_call(now: datetime) -> int:
    """Call-first carts the queue would hand out now: never called or due again, and not leased to an agent."""
    return Cart.objects.filter(status="open", in_control_group=False, route="call_first", next_call_at=None,
                               calls_ended_at=None).exclude(reserved_until__gt=now).count()


def floor(now: datetime) -> dict:
    """The live view's numbers: open carts by route and age, breaches of the 5-minute rule, the agents."""
    open_carts = Cart.objects.filter(status="open", in_control_group=False)
    edges = [timedelta(0), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=24)]
    depth = {}
    for route, label in Cart.Route.choices:
        ages = [now - since for since in open_carts.filter(route=route).values_list("workable_since", flat=True)]
        buckets = [sum(low <= age < high for age in ages) for low, high in zip(edges, [*edges[1:], timedelta.max],
                                                                                strict=True)]
        depth[label] = (len(ages), buckets)
    ready = ready_to_call(now)
    breaches = open_carts.filter(route="call_first", first_attempt_at=None,
                                 workable_since__lte=now - timedelta(minutes=5)).count()
    on_a_call = set(Call.objects.filter(wrapped_up_at=None).values_list("agent_id", flat=True))
    agents = [(profile.user.get_full_name(), profile.get_status_display(),
               bool(ready) and profile.status == "available" and profile.user_id not in on_a_call
               and now - profile.status_since >= timedelta(minutes=2))
              for profile in AgentProfile.objects.select_related("user").order_by("user__first_name")]
    callbacks = Callback.objects.filter(status="scheduled", due_at__lte=now + timedelta(minutes=15)).count()
    return {"depth": depth, "ready": ready, "breaches": breaches, "agents": agents, "callbacks": callbacks}


# --- reading the screens ---------------------------------------------------------------------------------------


def sign_in(page, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("h1:has-text('Log in')")
    page.fill("input[name=username]", "rosa")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def cells(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def metric(page, key: str) -> tuple[list[str], list[str]]:
    """A headline row's values and changes, 30/60/90 days."""
    return cells(page, f"#metric-{key} .value"), cells(page, f"#metric-{key} .change")


def lift_sizes(page) -> list[tuple[int, int]]:
    contacted = cells(page, "#lift tbody tr:nth-child(1) td.num .muted")
    control = cells(page, "#lift tbody tr:nth-child(2) td.num .muted")
    return [(int(mine.removeprefix("of ")), int(theirs.removeprefix("of ")))
            for mine, theirs in zip(contacted, control, strict=True)]


def leaderboard(page) -> dict[str, list[str]]:
    rows = page.locator("#leaderboard tbody tr")
    return {row[0]: row for row in ([cell.strip() for cell in rows.nth(index).locator("td").all_inner_texts()]
                                    for index in range(rows.count()))}


def queue_row(page, label: str):
    return page.locator("#live-queue tbody tr", has=page.locator(f"td:text-is('{label}')"))


def live_agents(page) -> list[tuple[str, str, bool]]:
    """Each agent's name, status and whether they are flagged idle."""
    rows = page.locator("#live-agents tbody tr")
    return [(row.locator("td").first.inner_text(), row.locator(".status").inner_text(),
             row.locator(".tag.warn:text-is('idle')").count() == 1)
            for row in (rows.nth(index) for index in range(rows.count()))]


def assert_headline(page, expected: dict[int, dict]) -> None:
    shown_rate, shown_change = metric(page, "recovery_rate")
    assert shown_rate == [share(expected[days]["recovered"], expected[days]["carts"]) for days in WINDOWS]
    assert shown_change == [expected[days]["change"] for days in WINDOWS]
    assert metric(page, "recovered_value")[0] == [money(expected[days]["value"]) for days in WINDOWS]
    assert metric(page, "carts")[0] == [str(expected[days]["carts"]) for days in WINDOWS]
    assert metric(page, "recovered")[0] == [str(expected[days]["recovered"]) for days in WINDOWS]


def download(page, selector: str) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        page.click(selector)
    got = info.value
    with open(got.path(), encoding="utf-8") as file:
        return got.suggested_filename, list(csv.reader(file))


def hover_point(page, chart_id: str, index: int) -> None:
    """Move the mouse over the chart's `index`-th point, as a supervisor reading its tooltip does."""
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    at = page.evaluate("""([id, index]) => {
        const chart = Chart.getChart(document.getElementById(id)), box = chart.canvas.getBoundingClientRect();
        const point = chart.getDatasetMeta(2).data[index];
        return {x: box.left + point.x, y: box.top + chart.chartArea.bottom - 5};
    }""", [chart_id, index])
    page.mouse.move(at["x"], at["y"])
    wait_until(page, "id => Chart.getChart(document.getElementById(id)).tooltip.opacity > 0", arg=chart_id)


def screenshot(page, folder: Path, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / f"{name}.png")
    page.screenshot(path=folder / f"{name}-full.png", full_page=True)


def open_dashboard(page) -> None:
    sign_in(page, "/dashboards/")
    page.wait_for_selector("#metric-recovery_rate")
    wait_until(page, "ids => window.Chart && ids.every(id => Chart.getChart(document.getElementById(id)))",
               arg=list(CHARTS))


# --- the journeys ------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_numbers_in_the_database(screen, history, supervisor, shots):
    page, now = screen, history.now
    expected = headline(now)
    assert expected[30]["recovered"] and expected[90]["value"] > expected[60]["value"]  # the data is not trivial

    # given a supervisor signed in through the login form, on the dashboard
    open_dashboard(page)
    assert page.locator("#figures-freshness").inner_text().startswith("Figures up to")  # beat built today
    screenshot(page, shots, "dashboard")
    page.locator("#trend").screenshot(path=shots / "dashboard-trend.png")

    # then the three windows show the recovery rate, its change, the value and the counts of the database
    assert_headline(page, expected)
    assert metric(page, "team_cost")[0] == [money(team_cost(now, days)) for days in WINDOWS]

    # the lift compares group sizes of the database, and says the sample is too small to conclude
    sizes = [group_sizes(now, days) for days in WINDOWS]
    assert lift_sizes(page) == sizes and min(min(pair) for pair in sizes) < 30
    assert page.locator("#lift .tag.warn:has-text('sample too small to conclude')").count() == 3

    # the leaderboard's rows are the agents' calls and credited recoveries of the last 30 days
    board = leaderboard(page)
    assert board["Maya Ortiz"] == leaderboard_row(now, history.maya)
    assert board["Sam Lee"] == leaderboard_row(now, history.sam)
    assert list(board) == ["Sam Lee", "Maya Ortiz"]  # by value recovered, $450 before $300

    # the frictions found on the calls of the last 30 days
    frictions = {row.split("\t")[0]: row.split("\t")[1] for row in cells(page, "#frictions tbody tr")}
    calls = Call.objects.filter(opened_at__gte=since(now, 30))
    assert frictions == {reason.label: str(calls.filter(frictions=reason).count())
                         for reason in FrictionReason.objects.filter(calls__in=calls).distinct()}

    # the three charts are drawn weekly, and their carts series hold the database's carts of the 13 weeks
    for chart in CHARTS:
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 250, chart  # large enough to read
    drawn = page.evaluate("""ids => ids.map(id => {
        const chart = Chart.getChart(document.getElementById(id));
        return {type: chart.config.type, series: chart.data.datasets.map(set => set.data)};
    })""", list(CHARTS))
    assert [chart["type"] for chart in drawn] == ["line"] * 3
    assert [len(chart["series"]) for chart in drawn] == [2, 3, 1]
    counts = daily_counts(now, 91)
    carts_per_week, recovered_per_week = drawn[0]["series"]
    assert len(carts_per_week) == 13 and sum(carts_per_week) == sum(carts for carts, _ in counts.values())
    assert sum(recovered_per_week) == sum(recovered for _, recovered in counts.values())
    assert drawn[1]["series"][2] == carts_per_week  # the carts behind each rate, as bars


def test_a_store_filter_changes_the_numbers_and_the_csv_holds_them(screen, history, supervisor, shots):
    page, now, north = screen, history.now, history.north
    everywhere, filtered = headline(now), headline(now, north)
    assert filtered != everywhere

    # given the dashboard for every store
    open_dashboard(page)
    assert_headline(page, everywhere)

    # when the supervisor picks one store and applies the filter
    page.select_option("#dashboard-filters select[name=store]", label="North Outfitters")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url(f"**/dashboards/?store={north.pk}*")
    page.wait_for_selector("#metric-recovery_rate")
    screenshot(page, shots, "dashboard-north")

    # then the numbers are the store's
    assert page.locator("#dashboard-filters select[name=store] option:checked").inner_text() == "North Outfitters"
    assert_headline(page, filtered)
    assert lift_sizes(page) == [group_sizes(now, days, north) for days in WINDOWS]
    board = leaderboard(page)
    assert list(board) == ["Maya Ortiz"] and board["Maya Ortiz"] == leaderboard_row(now, history.maya, store=north)

    # and the CSV of the page holds the same numbers, unrounded
    name, rows = download(page, "#export-csv")
    assert name == f"dashboard-{now:%Y-%m-%d}.csv"
    by_metric = {row[1]: row for row in rows}
    rate, value = by_metric["Recovery rate"], by_metric["Value recovered"]
    assert [Decimal(rate[column]) for column in (3, 5, 7)] == [
        Decimal(filtered[days]["rate"] * 100).quantize(Decimal("0.1")) for days in WINDOWS]
    assert [Decimal(value[column]) for column in (3, 5, 7)] == [filtered[days]["value"] for days in WINDOWS]

    # the leaderboard's CSV too
    name, rows = download(page, "#leaderboard a.csv")
    assert name == f"leaderboard-{now:%Y-%m-%d}.csv" and rows[0][:2] == ["agent", "attempts"]
    (maya,) = rows[1:]
    numbers = agent_numbers(now, history.maya, store=north)
    reach = Decimal(numbers["spoken"] * 100 / numbers["attempts"]).quantize(Decimal("0.1"))
    assert maya[:5] == [numbers["name"], str(numbers["attempts"]), str(reach), str(numbers["carts"]),
                        str(numbers["recovered"])]
    assert Decimal(maya[6]) == numbers["value"]


def test_the_trend_is_weekly_with_the_carts_behind_each_point_and_daily_on_demand(screen, history, supervisor, shots):
    page, now = screen, history.now

    # given the dashboard, whose trend is weekly: each rate's tooltip says how many carts it is of
    page.set_viewport_size({"width": 1366, "height": 768})
    open_dashboard(page)
    assert page.locator("#trend h2").inner_text().startswith("Weekly trend")
    assert page.locator("#trend-week").get_attribute("aria-current") == "true"
    weeks = page.evaluate("Chart.getChart(document.getElementById('chart-rates')).data.datasets[2].data")
    busiest = max(range(len(weeks)), key=lambda index: weeks[index])
    hover_point(page, "chart-rates", busiest)
    tooltip = page.evaluate("Chart.getChart(document.getElementById('chart-rates')).tooltip.body"
                            ".map(part => part.lines.join(' '))")
    assert any(line.startswith("Recovery rate %") and line.endswith(f"of {weeks[busiest]} carts") for line in tooltip)
    page.screenshot(path=shots / "01_trend_weekly_tooltip.png")
    page.locator("#trend").screenshot(path=shots / "01_trend_weekly.png")

    # when the supervisor asks for the daily trend
    page.click("#trend-day")
    page.wait_for_url("**/dashboards/?trend=day*")
    wait_until(page, "ids => window.Chart && ids.every(id => Chart.getChart(document.getElementById(id)))",
               arg=list(CHARTS))

    # then the charts and the table behind them are the database's 90 days, and the CSV follows
    assert page.locator("#trend h2").inner_text().startswith("Daily trend")
    labels = page.evaluate("Chart.getChart(document.getElementById('chart-carts')).data.labels.length")
    assert labels == 90
    page.click("#trend details summary")
    rows = page.locator("#trend details tbody tr")
    rows.first.wait_for()
    table = {row[0]: (int(row[1]), int(row[2])) for row in (text.split("\t") for text in rows.all_inner_texts())}
    assert table == daily_counts(now)
    page.locator("#trend").screenshot(path=shots / "02_trend_daily.png")
    _name, csv_rows = download(page, "#trend a.csv")
    assert len(csv_rows) == 91 and csv_rows[0][:3] == ["from", "to", "carts"]

    # and back to weekly, at 800 px wide too
    page.set_viewport_size({"width": 800, "height": 900})
    page.click("#trend-week")
    page.wait_for_url("**/dashboards/?#trend")
    wait_until(page, "id => window.Chart && Chart.getChart(document.getElementById(id))", arg="chart-rates")
    page.locator("#trend").screenshot(path=shots / "03_trend_weekly_800.png")


def test_the_live_view_shows_the_floor_and_refreshes_itself(screen, history, supervisor, shots):
    page = screen
    sign_in(page, "/dashboards/live/")
    page.wait_for_selector("#live-breaches")
    expected = floor(timezone.now())

    # the queue by route and age (the "ready to call now" row: see the test below), the breaches of the 5-minute
    # rule, the agents and the callbacks due
    for route, (total, buckets) in expected["depth"].items():
        row = queue_row(page, route)
        assert row.locator("td[data-count]").get_attribute("data-count") == str(total), route
        assert [int(text) for text in row.locator("td.num").all_inner_texts()[1:]] == buckets, route
    assert page.locator("#live-breaches [data-count]").get_attribute("data-count") == str(expected["breaches"])
    assert page.locator("#live-breaches ol li").count() == expected["breaches"]
    assert live_agents(page) == expected["agents"]
    assert page.locator("#live-callbacks li").count() == expected["callbacks"]
    screenshot(page, shots, "live")

    # when, with the page left open, a call-first cart waits 10 minutes and Maya comes on duty 3 minutes ago
    page.evaluate("window.__sameDocument = true")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    now = timezone.now()
    past_cart(history.north, now - timedelta(minutes=12), status="open", workable_since=now - timedelta(minutes=10),
              customer=CustomerFactory(store=history.north, first_name="Omar", last_name="Haddad"))
    agent_status_set(history.maya, AgentProfile.Status.AVAILABLE, now=now - timedelta(minutes=3))
    changed = floor(now)
    assert changed["breaches"] == expected["breaches"] + 1

    # then the panel shows it by itself within one refresh, without a page load
    page.wait_for_selector(f"#live-breaches [data-count='{changed['breaches']}']", timeout=REFRESH_WAIT_MS)
    assert page.evaluate("window.__sameDocument") is True and navigations == []
    assert page.locator("#live-breaches ol li").nth(1).inner_text().startswith("Omar Haddad · North Outfitters")
    assert ("Maya Ortiz", "Available", True) in changed["agents"]
    assert live_agents(page) == changed["agents"]
    assert "Maya Ortiz has been available for 3" in page.locator("#live-alerts .alert-idle_agent").inner_text()
    screenshot(page, shots, "live-refreshed")


# --- fixed bugs, kept as tests -------------------------------------------------------------------------------------


def test_the_trend_csv_holds_the_points_the_section_shows(screen, history, supervisor):
    page = screen
    open_dashboard(page)
    charted = page.evaluate("Chart.getChart(document.getElementById('chart-carts')).data.labels.length")
    _name, rows = download(page, "#trend a.csv")
    assert len(rows) - 1 == charted == 13


def test_the_script_funnel_follows_the_store_filter(screen, history, supervisor):
    page, now, south = screen, history.now, history.south
    open_dashboard(page)
    page.goto(f"/dashboards/?store={south.pk}")
    page.wait_for_selector("#script-funnel")
    dialed_on_south = Call.objects.filter(opened_at__gte=since(now, 30), attempt__isnull=False,
                                          cart__store=south).count()
    shown = page.locator("#script-funnel tbody tr", has=page.locator("td:text-is('Dialed')")).locator("td").nth(1)
    assert int(shown.inner_text()) == dialed_on_south


def test_the_live_view_does_not_count_a_cart_an_agent_is_on_as_ready(screen, history, supervisor):
    page = screen
    sign_in(page, "/dashboards/live/")
    assert Cart.objects.filter(reserved_by=history.sam, reserved_until__gt=timezone.now()).exists()
    shown = queue_row(page, "Call first, ready to call now").locator("td[data-count]").get_attribute("data-count")
    assert int(shown) == ready_to_call(timezone.now())


def test_an_agent_whose_profile_was_made_in_the_admin_is_on_duty_from_sign_in(screen, browser, live_server,
                                                                              history, supervisor):
    noor = UserFactory(username="noor", first_name="Noor", last_name="Aziz", role=AGENT)
    noor.set_password(PASSWORD)
    noor.save()
    AgentProfile.objects.create(user=noor, hourly_cost=Decimal("28.00"))  # the admin form's defaults
    context = browser.new_context(base_url=live_server.url)
    try:
        agent_page = context.new_page()
        agent_page.goto("/login/")
        agent_page.fill("input[name=username]", "noor")
        agent_page.fill("input[name=password]", PASSWORD)
        agent_page.click("button[type=submit]")
        agent_page.wait_for_selector("#console-home")  # an agent lands on the console
    finally:
        context.close()

    page = screen
    sign_in(page, "/dashboards/live/")
    noor_row = page.locator("#live-agents tbody tr", has=page.locator("td:text-is('Noor Aziz')"))
    assert noor_row.locator(".status").inner_text() == "Available"
    assert noor_row.locator("td").nth(2).inner_text() != "–"
    assert AgentStatusChange.objects.filter(agent=noor, status="available").exists()


def test_a_dashboard_with_no_roll_ups_built_says_so_and_builds_nothing(screen, supervisor, calling_hours_clock):
    # given carts of today but no scheduler running: nothing built
    store = StoreFactory(name="North Outfitters", shop_domain="north.myshopify.com")
    past_cart(store, day(timezone.now(), 0, hours=1))
    page = screen

    # when the supervisor opens the dashboard
    sign_in(page, "/dashboards/")
    note = page.locator("#figures-freshness").inner_text()

    # then the page says today is not built yet and how to build it, and the GET built nothing
    assert note.startswith("Today not built yet")
    assert "celery beat" in note and "manage.py rollup_dashboards" in note
    assert not RolledUpDay.objects.exists()
