"""The 30/60/90-day numbers: what the operation achieved in a window, measured honestly.

A window is whole days in the operation's time zone: the last 30 days are today so far and the 29 days before,
and the window before them is the 30 whole days before that. Carts are counted in the window they were abandoned
in (a cohort), so a window's recovery rate is that of its carts, whenever they were recovered; contact attempts and
calls in the window they were made. Control-group carts are never contacted: they are left out of the team's rates
and are the baseline of the lift. A ratio with nothing to divide by is None (shown "–"), never 0.

The numbers are added up from the daily roll-ups (dashboards.rollup_sql defines them) as they were last built:
reading never builds them (celery beat and `manage.py rollup_dashboards` do, dashboards.rollups), and the page says
how fresh they are and which days are not built yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone

from agents.models import AgentProfile
from dashboards.models import EVERYONE, AttemptsByDay, CartsByDay, DutyByDay
from dashboards.rollups import day_start

FIVE_MINUTES = timedelta(minutes=5)
THIRTY_MINUTES = timedelta(minutes=30)
# Dispositions of a call on which the agent spoke with the customer.
SPOKEN_DISPOSITIONS = ("recovered", "link_sent", "callback", "not_interested", "do_not_call")
MIN_GROUP = 30  # below this many carts in a group, or 5 of either outcome, the lift is not shown


@dataclass(frozen=True)
class Window:
    """Whole days from the midnight of `start` to `end` (now, or the midnight after the last day)."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, *, now: datetime | None = None) -> Window:
        """Today so far and the days - 1 days before it."""
        end = now or timezone.now()
        return cls(day_start(timezone.localdate(end) - timedelta(days=days - 1)), end)

    @property
    def previous(self) -> Window:
        """The same number of whole days just before."""
        return Window(day_start(self.first_day - timedelta(days=self.days)), self.start)

    @cached_property
    def first_day(self) -> date:
        return timezone.localdate(self.start)

    @cached_property
    def last_day(self) -> date:
        return timezone.localdate(self.end - timedelta(microseconds=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Filters:
    store_ids: tuple[int, ...] = ()
    agent_id: int | None = None
    route: str = ""

    @property
    def scope(self) -> int:
        """The cart roll-up's rows these filters read: the agent's, or every cart's."""
        return self.agent_id or EVERYONE


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Lift:
    contacted_rate: float | None
    control_rate: float | None
    lift: float | None  # percentage points
    low: float | None  # 95% confidence interval, percentage points
    high: float | None
    contacted_carts: int
    control_carts: int
    too_small: bool

    @property
    def contacted_percent(self) -> float | None:
        return None if self.contacted_rate is None else self.contacted_rate * 100

    @property
    def control_percent(self) -> float | None:
        return None if self.control_rate is None else self.control_rate * 100


@dataclass
class WindowMetrics:
    window: Window
    values: dict[str, float | Decimal | None] = field(default_factory=dict)
    by_channel: dict[str, dict[str, float | None]] = field(default_factory=dict)
    lift: Lift | None = None


def ratio(part, whole) -> float | None:
    return None if not whole else float(part) / float(whole)


@dataclass
class Facts:
    """The roll-ups of a span of days under the filters, read once: every window inside the span is added up from
    them (the dashboard's six windows cost five small queries, not six times the raw rows)."""

    filters: Filters
    carts: dict[tuple[int, date, bool], dict]  # (EVERYONE or the agent, day, in control group) -> sums
    waits: dict[tuple[date, date], dict[int, int]]  # (first, last day) -> {wait bucket: call-first carts}
    attempts: dict[tuple[date, str], dict]  # (day, channel) -> attempts, reached
    duty: dict[tuple[date, int], float]  # (day, agent) -> seconds on duty
    shares: dict[tuple[date, int], tuple[int, int]]  # (day, agent) -> attempts, of them on the filtered carts
    costs: dict[int, Decimal]  # agent -> hourly cost

    def cart_sums(self, window: Window, *, control: bool = False, scope: int | None = None) -> dict:
        scope = self.filters.scope if scope is None else scope
        totals: dict = {}
        for (agent, day, in_control), sums in self.carts.items():
            if agent == scope and in_control == control and day in window:
                for name, value in sums.items():
                    totals[name] = totals.get(name, 0) + value
        return totals

    def waits_of(self, window: Window) -> dict[int, int]:
        """The window's waits to first contact by bucket (read now when the window was not asked for up front)."""
        key = (window.first_day, window.last_day)
        if key not in self.waits:
            self.waits.update(_waits([window], self.filters))
        return self.waits[key]


_CART_SUMS = ("carts", "recovered", "recovered_value", "upsell_value", "value_after_contact", "timed", "within_5",
              "within_30", "attempts", "attempts_before_order", "contacted_voice", "contacted_sms", "contacted_email",
              "converted_voice", "converted_sms", "converted_email", "abandoned_value", "worked", "active_within_5",
              "active_within_30")


def scoped(rows, filters: Filters, *, route: bool = True, agent: bool = False):
    """A roll-up's rows under the filters: its store, its route (for a roll-up that has one), its agent."""
    if filters.store_ids:
        rows = rows.filter(store_id__in=filters.store_ids)
    if route and filters.route:
        rows = rows.filter(route=filters.route)
    if agent and filters.agent_id:
        rows = rows.filter(agent_id=filters.agent_id)
    return rows


def load_facts(first: date, last: date, filters: Filters = NO_FILTERS, *, now: datetime | None = None,
               windows: list[Window] | tuple[Window, ...] = ()) -> Facts:
    """Read the roll-ups of [first, last] as built (a read never builds them); the waits to first contact of each
    of `windows` are added up at once (a median does not add up across days)."""
    days = {"day__gte": first, "day__lte": last}
    cart_rows = (scoped(CartsByDay.objects.filter(agent_id__in={EVERYONE, filters.scope}, **days), filters)
                 .values("agent_id", "day", "in_control_group").annotate(**{f"sum_{name}": Sum(name)
                                                                            for name in _CART_SUMS}))
    carts = {(row["agent_id"], row["day"], row["in_control_group"]): {name: row[f"sum_{name}"] for name in _CART_SUMS}
             for row in cart_rows}
    attempt_rows = scoped(AttemptsByDay.objects.filter(**days), filters, agent=True)
    attempts = {(row["day"], row["channel"]): {"attempts": row["made"], "reached": row["got"]}
                for row in attempt_rows.values("day", "channel").annotate(made=Sum("attempts"), got=Sum("reached"))}
    duty_rows = DutyByDay.objects.filter(**days)  # hours on duty have no store: shared out below
    if filters.agent_id:
        duty_rows = duty_rows.filter(agent_id=filters.agent_id)
    duty = {(row["day"], row["agent_id"]): row["seconds"] for row in duty_rows.values("day", "agent_id", "seconds")}
    shares = {}
    if filters.store_ids or filters.route:  # each agent's cost is shared out by their attempts on these carts
        part = Q(store_id__in=filters.store_ids) if filters.store_ids else Q()
        if filters.route:
            part &= Q(route=filters.route)
        logged = F("attempts") + F("not_sent")
        for row in (AttemptsByDay.objects.filter(**days).exclude(agent_id=EVERYONE).values("day", "agent_id")
                    .annotate(all=Sum(logged), part=Sum(logged, filter=part))):
            shares[(row["day"], row["agent_id"])] = (row["all"], row["part"] or 0)
    costs = dict(AgentProfile.objects.values_list("user_id", "hourly_cost"))
    return Facts(filters, carts, _waits(windows, filters) if windows else {}, attempts, duty, shares, costs)


def _waits(windows, filters: Filters) -> dict[tuple[date, date], dict[int, int]]:
    """Each window's waits by bucket, in one pass over the merged daily rows."""
    found: dict[tuple[date, date], dict[int, int]] = {(window.first_day, window.last_day): {} for window in windows}
    if filters.route and filters.route != "call_first":
        return found  # only call-first carts are timed
    keys = list(found)
    columns = ", ".join(f"sum(carts) FILTER (WHERE day >= %(first_{index})s AND day <= %(last_{index})s)"
                        for index in range(len(keys)))
    sql = f"""
        SELECT bound, {columns}
        FROM dashboards_waitsbyday CROSS JOIN LATERAL unnest(bounds, counts) AS bucket (bound, carts)
        WHERE day >= %(first)s AND day <= %(last)s AND agent_id = %(scope)s AND store_id = ANY(%(stores)s)
        GROUP BY bound
    """  # nosec B608: the columns are numbered placeholders, the values are parameters
    params = {"first": min(first for first, _ in keys), "last": max(last for _, last in keys),
              "scope": filters.scope, "stores": list(filters.store_ids) or [0]}
    for index, (first, last) in enumerate(keys):
        params[f"first_{index}"], params[f"last_{index}"] = first, last
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bound, *per_window in cursor.fetchall():
            for key, carts in zip(keys, per_window, strict=True):
                if carts:
                    found[key][bound] = carts
    return found


def _facts(window: Window, filters: Filters) -> Facts:
    return load_facts(window.first_day, window.last_day, filters, now=window.end, windows=[window])


# (below this many seconds, buckets this wide), as dashboards.rollup_sql.CARTS keeps the waits; then an hour wide.
WAIT_BUCKETS = ((60, 1), (600, 5), (3600, 30), (86400, 300))


def bucket_width(lower: int) -> int:
    return next((width for below, width in WAIT_BUCKETS if lower < below), 3600)


def median_of_buckets(counts: dict[int, int]) -> float | None:
    """The median (percentile_cont(0.5)) of values known by their bucket, the values of a bucket taken as evenly
    spread across it: within a bucket of the exact median (half a bucket on many waits), and unbiased."""
    total = sum(counts.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # ranks of the middle one, or the two middle ones
    found, seen = [], 0
    for lower in sorted(counts):
        in_bucket = counts[lower]
        while wanted and wanted[0] < seen + in_bucket:
            rank = wanted.pop(0) - seen
            found.append(lower + bucket_width(lower) * (rank + 0.5) / in_bucket)
        seen += in_bucket
    return sum(found) / 2


def _speed_to_lead(facts: Facts, window: Window) -> dict:
    totals = facts.cart_sums(window)
    median = median_of_buckets(facts.waits_of(window))  # carts never attempted have no wait
    timed = totals.get("timed", 0)
    return {"contacted_within_5_min": ratio(totals.get("within_5", 0), timed),
            "contacted_within_30_min": ratio(totals.get("within_30", 0), timed),
            "median_minutes_to_first_contact": None if median is None else median / 60,
            "active_within_5_min": ratio(totals.get("active_within_5", 0), timed),
            "active_within_30_min": ratio(totals.get("active_within_30", 0), timed),
            # The counts behind the shares, shown beside them ("22.5% (9 of 40)") on every screen.
            "timed": timed, "within_5": totals.get("within_5", 0), "within_30": totals.get("within_30", 0),
            "active_within_5": totals.get("active_within_5", 0), "active_within_30": totals.get("active_within_30", 0)}


def speed_to_lead(window: Window, filters: Filters) -> dict:
    """Call-first carts of the window (control group left out): the share first contacted within 5 and 30 minutes
    of becoming workable (the queue's clock) and of the shopper's last activity (the shopper's clock, the store's
    abandonment delay included); a cart never contacted counts as late. The median from becoming workable (from
    the roll-up's buckets: exact to 5 s under a minute, 15 s under ten minutes, a minute under an hour).

    The one definition of the 5-minute figure: the home page and the dashboard both show this."""
    return _speed_to_lead(_facts(window, filters), window)


REACHED_MEANS = {"voice": "a call on which the agent spoke with the customer", "sms": "a text the carrier delivered",
                 "email": "an email sent (without bounce reports, sent is all that is known)"}


def _response(facts: Facts, window: Window) -> dict[str, dict]:
    rows = {}
    for channel in REACHED_MEANS:
        made = reached = 0
        for (day, row_channel), sums in facts.attempts.items():
            if row_channel == channel and day in window:
                made, reached = made + sums["attempts"], reached + sums["reached"]
        rows[channel] = {"attempts": made, "reached": reached, "reach_rate": ratio(reached, made)}
    return rows


def response(window: Window, filters: Filters) -> dict[str, dict]:
    """Attempts per channel and the share that reached the customer (REACHED_MEANS)."""
    return _response(_facts(window, filters), window)


def _recovery(facts: Facts, window: Window) -> dict:
    totals = facts.cart_sums(window)
    carts, recovered = totals.get("carts", 0), totals.get("recovered", 0)
    value = Decimal(totals.get("recovered_value", 0))
    attempts, after_contact = totals.get("attempts", 0), Decimal(totals.get("value_after_contact", 0))
    return {
        "carts": carts, "recovered": recovered, "recovery_rate": ratio(recovered, carts),
        "recovered_value": value, "value_per_cart": ratio(value, carts),
        "recovered_order_value": ratio(value, recovered),
        "attempts_per_recovered_cart": ratio(totals.get("attempts_before_order", 0), recovered),
        "attempts_per_cart_worked": ratio(attempts, totals.get("worked", 0)), "carts_worked": totals.get("worked", 0),
        "abandoned_value": Decimal(totals.get("abandoned_value", 0)),
        "upsell_value": Decimal(totals.get("upsell_value", 0)), "value_after_contact": after_contact,
        "attempts": attempts, "revenue_per_attempt": ratio(after_contact, attempts),
    }


def recovery(window: Window, filters: Filters) -> dict:
    """The window's carts (control group left out): how many were recovered, for how much, after how many attempts
    (those made before the order; with an agent filter, that agent's), and the attempts per cart worked (a cart
    with at least one attempt). The home page's and the dashboard's recovery figures are these."""
    return _recovery(_facts(window, filters), window)


def _conversion_by_channel(facts: Facts, window: Window) -> dict[str, dict]:
    totals = facts.cart_sums(window)
    rows = {}
    for channel in ("voice", "sms", "email"):
        contacted, converted = totals.get(f"contacted_{channel}", 0), totals.get(f"converted_{channel}", 0)
        rows[channel] = {"contacted_carts": contacted, "converted": converted,
                         "conversion": ratio(converted, contacted)}
    return rows


def conversion_by_channel(window: Window, filters: Filters) -> dict[str, dict]:
    """Of the carts contacted on a channel, the share recovered with the credit on that channel."""
    return _conversion_by_channel(_facts(window, filters), window)


def _lift(facts: Facts, window: Window) -> Lift:
    contacted = facts.cart_sums(window, scope=EVERYONE)
    control = facts.cart_sums(window, control=True, scope=EVERYONE)
    n1, w1 = contacted.get("carts", 0), contacted.get("recovered", 0)
    n2, w2 = control.get("carts", 0), control.get("recovered", 0)
    p1, p2 = ratio(w1, n1), ratio(w2, n2)
    too_small = min(n1, n2) < MIN_GROUP or min(w1, n1 - w1, w2, n2 - w2) < 5
    if p1 is None or p2 is None:
        return Lift(p1, p2, None, None, None, n1, n2, True)
    difference = p1 - p2
    margin = 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return Lift(p1, p2, difference * 100, (difference - margin) * 100, (difference + margin) * 100, n1, n2, too_small)


def lift(window: Window, filters: Filters) -> Lift:
    """The team's effect: the recovery rate of the carts it could contact minus the control group's, with a
    95% confidence interval (normal approximation for a difference of two proportions). An agent filter does not
    apply: the control group has no agent."""
    return _lift(_facts(window, filters), window)


def _team_cost(facts: Facts, window: Window) -> Decimal:
    seconds: dict[int, float] = {}
    for (day, agent), on_duty in facts.duty.items():
        if day in window:
            seconds[agent] = seconds.get(agent, 0.0) + on_duty
    shared_out = bool(facts.filters.store_ids or facts.filters.route)
    share: dict[int, list[int]] = {}
    for (day, agent), (logged, part) in facts.shares.items():
        if day in window:
            counts = share.setdefault(agent, [0, 0])
            counts[0], counts[1] = counts[0] + logged, counts[1] + part
    total = Decimal("0")
    for agent, on_duty in seconds.items():
        if shared_out:
            logged, part = share.get(agent, (0, 0))
            if not logged:
                continue  # the agent worked none of these carts
            fraction = Decimal(part) / Decimal(logged)
        else:
            fraction = Decimal(1)
        hours = Decimal(str(round(on_duty / 3600, 4)))
        total += facts.costs.get(agent, Decimal("0")) * hours * fraction
    return total.quantize(Decimal("0.01"))


def team_cost(window: Window, filters: Filters) -> Decimal:
    """Hours on duty (any status but away, from the status log, each stretch at most a shift) times each
    agent's hourly cost. For some stores or a route only, each agent's cost is shared out by their contact
    attempts: the part of their attempts that went to those carts."""
    return _team_cost(_facts(window, filters), window)


def window_metrics(window: Window, filters: Filters = NO_FILTERS, *, facts: Facts | None = None) -> WindowMetrics:
    """Every headline number of one window; pass `facts` read once for several windows."""
    facts = facts or _facts(window, filters)
    metrics = WindowMetrics(window)
    metrics.values.update(_speed_to_lead(facts, window))
    metrics.values.update(_recovery(facts, window))
    cost = _team_cost(facts, window)
    value = metrics.values["value_after_contact"]
    metrics.values.update({"team_cost": cost, "roi": ratio(value - cost, cost) if cost else None})
    metrics.by_channel = {"response": _response(facts, window), "conversion": _conversion_by_channel(facts, window)}
    metrics.lift = _lift(facts, window)
    return metrics
