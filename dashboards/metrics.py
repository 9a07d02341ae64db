"""The 30/60/90-day numbers: what the operation achieved in a window, measured honestly.

Carts are counted in the window they were abandoned in (a cohort), so a window's recovery rate
is that of its carts, whenever they were recovered; contact attempts and calls in the window
they were made. Control-group carts are never contacted: they are left out of the team's rates
and are the baseline of the lift. A ratio with nothing to divide by is None (shown "–"), never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Q, Sum
from django.utils import timezone

from recovery.models import Cart

FIVE_MINUTES = timedelta(minutes=5)
THIRTY_MINUTES = timedelta(minutes=30)
# Dispositions of a call on which the agent spoke with the customer.
SPOKEN_DISPOSITIONS = ("recovered", "link_sent", "callback", "not_interested", "do_not_call")
# A status with no change after it for this long is taken to have ended (a session that expired unseen).
LONGEST_SHIFT = timedelta(hours=10)
MIN_GROUP = 30  # below this many carts in a group, or 5 of either outcome, the lift is not shown


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, *, now: datetime | None = None) -> Window:
        end = now or timezone.now()
        return cls(end - timedelta(days=days), end)

    @property
    def previous(self) -> Window:
        return Window(self.start - (self.end - self.start), self.start)

    @property
    def days(self) -> int:
        return round((self.end - self.start) / timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    store_ids: tuple[int, ...] = ()
    agent_id: int | None = None
    route: str = ""


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


def _carts(window: Window, filters: Filters):
    carts = Cart.objects.filter(abandoned_at__gte=window.start, abandoned_at__lt=window.end)
    if filters.store_ids:
        carts = carts.filter(store_id__in=filters.store_ids)
    if filters.route:
        carts = carts.filter(route=filters.route)
    if filters.agent_id:
        carts = carts.filter(contactattempt__agent_id=filters.agent_id).distinct()
    return carts


def _attempts(window: Window, filters: Filters):
    from compliance.models import ContactAttempt

    attempts = ContactAttempt.objects.filter(at__gte=window.start, at__lt=window.end).exclude(outcome="not_sent")
    if filters.store_ids:
        attempts = attempts.filter(store_id__in=filters.store_ids)
    if filters.route:
        attempts = attempts.filter(cart__route=filters.route)
    if filters.agent_id:
        attempts = attempts.filter(agent_id=filters.agent_id)
    return attempts


def speed_to_lead(window: Window, filters: Filters) -> dict:
    """Call-first carts of the window: contacted within 5 and 30 minutes of becoming workable, and the median."""
    carts = _carts(window, filters).filter(route=Cart.Route.CALL_FIRST, workable_since__isnull=False,
                                           in_control_group=False)
    carts = carts.annotate(wait=ExpressionWrapper(F("first_attempt_at") - F("workable_since"),
                                                  output_field=DurationField()))
    totals = carts.aggregate(total=Count("pk"), within_5=Count("pk", filter=Q(wait__lte=FIVE_MINUTES)),
                             within_30=Count("pk", filter=Q(wait__lte=THIRTY_MINUTES)),
                             median_seconds=MedianSeconds("wait"))  # carts never attempted have no wait
    median = totals["median_seconds"]
    return {"contacted_within_5_min": ratio(totals["within_5"], totals["total"]),
            "contacted_within_30_min": ratio(totals["within_30"], totals["total"]),
            "median_minutes_to_first_contact": None if median is None else median / 60}


class MedianSeconds(Aggregate):
    """The median of an interval, in seconds, computed by PostgreSQL (nulls left out)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


def response(window: Window, filters: Filters) -> dict[str, dict]:
    """Attempts per channel and the share that reached the customer: a call spoken on, a text delivered,
    an email sent (without bounce reports, sent is all that is known)."""
    reached = {"voice": Q(outcome__in=SPOKEN_DISPOSITIONS),
               "sms": Q(provider_status__in=("delivered", "read")),
               "email": Q(outcome__in=("sent", "link_sent"))}
    rows = {}
    attempts = _attempts(window, filters)
    for channel, reached_filter in reached.items():
        totals = attempts.filter(channel=channel).aggregate(total=Count("pk"),
                                                            reached=Count("pk", filter=reached_filter))
        rows[channel] = {"attempts": totals["total"], "reached": totals["reached"],
                         "reach_rate": ratio(totals["reached"], totals["total"])}
    return rows


def recovery(window: Window, filters: Filters) -> dict:
    from compliance.models import ContactAttempt

    carts = _carts(window, filters).filter(in_control_group=False)
    recovered = Q(status=Cart.Status.RECOVERED)
    totals = carts.aggregate(
        carts=Count("pk"), recovered=Count("pk", filter=recovered),
        value=Sum("recovered_value", filter=recovered), upsell=Sum("upsell_value", filter=recovered),
        contacted_value=Sum("recovered_value", filter=recovered & Q(attribution=Cart.Attribution.CONTACTED)),
    )
    value = totals["value"] or Decimal("0")
    cart_ids = carts.values("pk")
    attempts = ContactAttempt.objects.filter(cart__in=cart_ids).exclude(outcome="not_sent")
    if filters.agent_id:
        attempts = attempts.filter(agent_id=filters.agent_id)
    attempt_count = attempts.count()
    on_recovered = attempts.filter(cart__status=Cart.Status.RECOVERED, at__lte=F("cart__recovered_at")).count()
    return {
        "carts": totals["carts"], "recovered": totals["recovered"],
        "recovery_rate": ratio(totals["recovered"], totals["carts"]),
        "recovered_value": value, "value_per_cart": ratio(value, totals["carts"]),
        "recovered_order_value": ratio(value, totals["recovered"]),
        "attempts_per_recovered_cart": ratio(on_recovered, totals["recovered"]),
        "upsell_value": totals["upsell"] or Decimal("0"),
        "value_after_contact": totals["contacted_value"] or Decimal("0"),
        "attempts": attempt_count,
        "revenue_per_attempt": ratio(totals["contacted_value"] or 0, attempt_count),
    }


def conversion_by_channel(window: Window, filters: Filters) -> dict[str, dict]:
    """Of the carts contacted on a channel, the share recovered with the credit on that channel."""
    from compliance.models import ContactAttempt

    carts = _carts(window, filters).filter(in_control_group=False)
    rows = {}
    for channel in ("voice", "sms", "email"):
        contacted = carts.filter(pk__in=ContactAttempt.objects.filter(channel=channel).exclude(outcome="not_sent")
                                 .values("cart_id"))
        totals = contacted.aggregate(carts=Count("pk"), converted=Count(
            "pk", filter=Q(status=Cart.Status.RECOVERED, recovered_channel=channel)))
        rows[channel] = {"contacted_carts": totals["carts"], "converted": totals["converted"],
                         "conversion": ratio(totals["converted"], totals["carts"])}
    return rows


def lift(window: Window, filters: Filters) -> Lift:
    """The team's effect: the recovery rate of the carts it could contact minus the control group's, with a
    95% confidence interval (normal approximation for a difference of two proportions)."""
    carts = _carts(window, Filters(store_ids=filters.store_ids, route=filters.route))
    recovered = Q(status=Cart.Status.RECOVERED)
    totals = carts.aggregate(
        contacted=Count("pk", filter=Q(in_control_group=False)),
        contacted_won=Count("pk", filter=Q(in_control_group=False) & recovered),
        control=Count("pk", filter=Q(in_control_group=True)),
        control_won=Count("pk", filter=Q(in_control_group=True) & recovered),
    )
    n1, w1, n2, w2 = totals["contacted"], totals["contacted_won"], totals["control"], totals["control_won"]
    p1, p2 = ratio(w1, n1), ratio(w2, n2)
    too_small = min(n1, n2) < MIN_GROUP or min(w1, n1 - w1, w2, n2 - w2) < 5
    if p1 is None or p2 is None:
        return Lift(p1, p2, None, None, None, n1, n2, True)
    difference = p1 - p2
    margin = 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return Lift(p1, p2, difference * 100, (difference - margin) * 100, (difference + margin) * 100, n1, n2, too_small)


def team_cost(window: Window, filters: Filters) -> Decimal:
    """Hours on duty (any status but away, from the status log, each stretch at most a shift) times each
    agent's hourly cost. For some stores or a route only, each agent's cost is shared out by their contact
    attempts: the part of their attempts that went to those carts."""
    from agents.models import AgentProfile
    from compliance.models import ContactAttempt

    costs = dict(AgentProfile.objects.values_list("user_id", "hourly_cost"))
    share: dict[int, Decimal] = {}
    if filters.store_ids or filters.route:  # only the agents who worked those carts, for their part
        attempts = ContactAttempt.objects.filter(at__gte=window.start, at__lt=window.end, agent__isnull=False)
        part = Q(store_id__in=filters.store_ids) if filters.store_ids else Q()
        if filters.route:
            part &= Q(cart__route=filters.route)
        for row in attempts.values("agent_id").annotate(all=Count("pk"), part=Count("pk", filter=part)):
            share[row["agent_id"]] = Decimal(row["part"]) / Decimal(row["all"])
    total = Decimal("0")
    shared_out = bool(filters.store_ids or filters.route)
    for agent_id, seconds in _seconds_on_duty(window, agent_ids=list(share) if shared_out else None,
                                              agent_id=filters.agent_id).items():
        total += costs.get(agent_id, Decimal("0")) * Decimal(str(round(seconds / 3600, 4))) * share.get(agent_id, 1)
    return total.quantize(Decimal("0.01"))


_ON_DUTY_SQL = """
WITH stretches AS (
    SELECT agent_id, status, at, lead(at) OVER (PARTITION BY agent_id ORDER BY at, id) AS next_at
    FROM agents_agentstatuschange
    WHERE at < %(end)s AND at >= %(since)s
      AND (%(agent)s::integer IS NULL OR agent_id = %(agent)s::integer)
      AND (%(agents)s::integer[] IS NULL OR agent_id = ANY(%(agents)s::integer[]))
)
SELECT agent_id, sum(greatest(0, extract(epoch FROM
           least(coalesce(next_at, %(end)s), at + %(shift)s, %(end)s) - greatest(at, %(start)s))))
FROM stretches WHERE status <> 'away' GROUP BY agent_id
"""


def _seconds_on_duty(window: Window, *, agent_ids: list[int] | None, agent_id: int | None) -> dict[int, float]:
    """Seconds each agent spent in any status but away within the window, summed in PostgreSQL: each stretch
    ends at the next change, a shift at most, or the window's end."""
    from django.db import connection

    params = {"start": window.start, "end": window.end, "since": window.start - LONGEST_SHIFT,
              "shift": LONGEST_SHIFT, "agent": agent_id, "agents": agent_ids}
    with connection.cursor() as cursor:
        cursor.execute(_ON_DUTY_SQL, params)
        return {agent: float(seconds) for agent, seconds in cursor.fetchall()}


def window_metrics(window: Window, filters: Filters = NO_FILTERS) -> WindowMetrics:
    metrics = WindowMetrics(window)
    metrics.values.update(speed_to_lead(window, filters))
    metrics.values.update(recovery(window, filters))
    cost = team_cost(window, filters)
    value = metrics.values["value_after_contact"]
    metrics.values.update({"team_cost": cost, "roi": ratio(value - cost, cost) if cost else None})
    metrics.by_channel = {"response": response(window, filters), "conversion": conversion_by_channel(window, filters)}
    metrics.lift = lift(window, filters)
    return metrics
