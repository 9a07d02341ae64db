"""Breakdowns behind the headline numbers: the agents' leaderboard, frictions and what resolved them, and the
daily trend of the headline numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate

from dashboards.metrics import FIVE_MINUTES, NO_FILTERS, SPOKEN_DISPOSITIONS, Filters, Window, ratio
from recovery.models import Cart


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    attempts: int
    reach_rate: float | None
    carts_attempted: int
    recovered: int
    recovery_rate: float | None
    value: Decimal
    handle_minutes: float | None
    adherence: float | None  # reached calls that went through all five steps


def leaderboard(window: Window, filters: Filters = NO_FILTERS) -> list[AgentRow]:
    from django.contrib.auth import get_user_model

    from agents.models import Call
    from compliance.models import ContactAttempt

    attempts = ContactAttempt.objects.filter(at__gte=window.start, at__lt=window.end, agent__isnull=False,
                                             channel="voice")
    calls = Call.objects.filter(opened_at__gte=window.start, opened_at__lt=window.end, attempt__isnull=False)
    recovered = Cart.objects.filter(recovered_at__gte=window.start, recovered_at__lt=window.end,
                                    status=Cart.Status.RECOVERED, recovered_by__isnull=False)
    if filters.store_ids:
        attempts = attempts.filter(store_id__in=filters.store_ids)
        calls = calls.filter(cart__store_id__in=filters.store_ids)
        recovered = recovered.filter(store_id__in=filters.store_ids)
    if filters.route:
        attempts, calls = attempts.filter(cart__route=filters.route), calls.filter(cart__route=filters.route)
        recovered = recovered.filter(route=filters.route)
    if filters.agent_id:
        attempts, calls = attempts.filter(agent_id=filters.agent_id), calls.filter(agent_id=filters.agent_id)
        recovered = recovered.filter(recovered_by_id=filters.agent_id)
    by_attempts = {row["agent_id"]: row for row in attempts.values("agent_id").annotate(
        attempts=Count("pk"), spoken=Count("pk", filter=Q(outcome__in=SPOKEN_DISPOSITIONS)),
        carts=Count("cart_id", distinct=True))}
    handle = ExpressionWrapper(F("wrapped_up_at") - F("opened_at"), output_field=DurationField())
    by_calls = {row["agent_id"]: row for row in calls.values("agent_id").annotate(
        handle=Avg(handle), reached=Count("pk", filter=Q(answer="reached")),
        complete=Count("pk", filter=Q(answer="reached", step_times__has_key="5")))}
    by_recovery = {row["recovered_by_id"]: row for row in recovered.values("recovered_by_id").annotate(
        recovered=Count("pk"), value=Sum("recovered_value"))}
    users = get_user_model().objects.in_bulk(set(by_attempts) | set(by_recovery))
    rows = []
    for agent_id, user in users.items():
        made, talk, won = by_attempts.get(agent_id, {}), by_calls.get(agent_id, {}), by_recovery.get(agent_id, {})
        handle_time = talk.get("handle")
        rows.append(AgentRow(
            agent_id, user.get_full_name() or user.username, made.get("attempts", 0),
            ratio(made.get("spoken", 0), made.get("attempts", 0)), made.get("carts", 0), won.get("recovered", 0),
            ratio(won.get("recovered", 0), made.get("carts", 0)), won.get("value") or Decimal("0"),
            handle_time.total_seconds() / 60 if handle_time else None,
            ratio(talk.get("complete", 0), talk.get("reached", 0)),
        ))
    return sorted(rows, key=lambda row: (-row.value, -row.recovered, row.name))


@dataclass(frozen=True)
class FrictionRow:
    label: str
    calls: int
    resolved: int
    resolved_rate: float | None


def frictions(window: Window, filters: Filters = NO_FILTERS) -> list[FrictionRow]:
    """How often each friction came up on calls, and how often the objection was then resolved."""
    from agents.models import FrictionReason

    calls = Q(calls__opened_at__gte=window.start, calls__opened_at__lt=window.end)
    if filters.store_ids:
        calls &= Q(calls__cart__store_id__in=filters.store_ids)
    if filters.agent_id:
        calls &= Q(calls__agent_id=filters.agent_id)
    rows = FrictionReason.objects.annotate(
        found=Count("calls", filter=calls), resolved=Count("calls", filter=calls & Q(calls__resolved="yes")),
    ).filter(found__gt=0).order_by("-found", "label")
    return [FrictionRow(row.label, row.found, row.resolved, ratio(row.resolved, row.found)) for row in rows]


@dataclass(frozen=True)
class ResolutionRow:
    offer: str
    offered: int
    resolved: int
    resolved_rate: float | None


def resolutions(window: Window, filters: Filters = NO_FILTERS, *, limit: int = 15) -> list[ResolutionRow]:
    """Which offers worked: each resolution offered on calls, and the share of those calls resolved."""
    from django.db import connection

    sql = """
        SELECT offer.value AS offer, count(*) AS offered, count(*) FILTER (WHERE call.resolved = 'yes') AS resolved
        FROM agents_call AS call
        JOIN recovery_cart AS cart ON cart.id = call.cart_id
        CROSS JOIN LATERAL jsonb_array_elements_text(call.offered) AS offer (value)
        WHERE call.opened_at >= %(start)s AND call.opened_at < %(end)s
          AND (cardinality(%(stores)s::integer[]) = 0 OR cart.store_id = ANY(%(stores)s::integer[]))
          AND (%(agent)s::integer IS NULL OR call.agent_id = %(agent)s::integer)
        GROUP BY offer.value ORDER BY offered DESC, offer.value LIMIT %(limit)s
    """
    params = {"start": window.start, "end": window.end, "stores": list(filters.store_ids), "agent": filters.agent_id,
              "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ResolutionRow(offer, offered, resolved, ratio(resolved, offered))
                for offer, offered, resolved in cursor.fetchall()]


def daily_trend(window: Window, filters: Filters = NO_FILTERS) -> list[dict]:
    """Per day of abandonment: carts, recovered, recovery rate, value recovered, and call-first carts contacted
    within 5 minutes (control group left out)."""
    carts = Cart.objects.filter(abandoned_at__gte=window.start, abandoned_at__lt=window.end, in_control_group=False)
    if filters.store_ids:
        carts = carts.filter(store_id__in=filters.store_ids)
    if filters.route:
        carts = carts.filter(route=filters.route)
    if filters.agent_id:  # the carts the agent contacted
        from compliance.models import ContactAttempt

        carts = carts.filter(pk__in=ContactAttempt.objects.filter(agent_id=filters.agent_id).values("cart_id"))
    wait = ExpressionWrapper(F("first_attempt_at") - F("workable_since"), output_field=DurationField())
    days = {row["day"]: row for row in carts.annotate(day=TruncDate("abandoned_at"), wait=wait).values("day").annotate(
        carts=Count("pk"), recovered=Count("pk", filter=Q(status=Cart.Status.RECOVERED)),
        value=Sum("recovered_value", filter=Q(status=Cart.Status.RECOVERED)),
        call_first=Count("pk", filter=Q(route=Cart.Route.CALL_FIRST, workable_since__isnull=False)),
        fast=Count("pk", filter=Q(route=Cart.Route.CALL_FIRST, wait__lte=FIVE_MINUTES)),
    )}
    series = []
    day: date = window.start.date()
    while day < window.end.date() + timedelta(days=1):
        row = days.get(day, {})
        series.append({"day": day.isoformat(), "carts": row.get("carts", 0), "recovered": row.get("recovered", 0),
                       "recovery_rate": ratio(row.get("recovered", 0), row.get("carts", 0)),
                       "value": float(row.get("value") or 0),
                       "contacted_within_5_min": ratio(row.get("fast", 0), row.get("call_first", 0))})
        day += timedelta(days=1)
    return series
