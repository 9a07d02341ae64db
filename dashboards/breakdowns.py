"""Breakdowns behind the headline numbers: the agents' leaderboard, frictions and what resolved them, where calls
are lost in the script, and the daily trend of the headline numbers; all added up from the daily roll-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from agents.models import Call, FrictionReason
from dashboards.metrics import NO_FILTERS, Filters, Window, ratio, scoped
from dashboards.models import (
    EVERYONE,
    AttemptsByDay,
    CallsByDay,
    CartsByDay,
    FrictionsByDay,
    OffersByDay,
    RecoveriesByDay,
)


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


def _days(rows, window: Window, filters: Filters, *, route: bool = True, agent: bool = True):
    """The roll-up's rows of the window's days under the filters, as built (a read never builds them)."""
    return scoped(rows.filter(day__gte=window.first_day, day__lte=window.last_day), filters, route=route, agent=agent)


def leaderboard(window: Window, filters: Filters = NO_FILTERS) -> list[AgentRow]:
    """Each agent's calls in the window, their reach, the recoveries credited to them (by the order's day), handle
    time and script adherence. Carts attempted are the carts the agent first called in the window."""
    from django.contrib.auth import get_user_model

    attempts = _days(AttemptsByDay.objects.filter(channel="voice").exclude(agent_id=EVERYONE), window, filters)
    by_attempts = {row["agent_id"]: row for row in attempts.values("agent_id").annotate(
        made=Sum("attempts"), spoken=Sum("reached"), carts=Sum("carts_first_called"))}
    by_calls = {row["agent_id"]: row for row in _days(CallsByDay.objects, window, filters).values("agent_id").annotate(
        handled_sum=Sum("handled"), seconds=Sum("handle_seconds"), reached_sum=Sum("reached"),
        complete_sum=Sum("complete"))}
    by_recovery = {row["agent_id"]: row for row in _days(RecoveriesByDay.objects, window, filters).values(
        "agent_id").annotate(won=Sum("recovered"), worth=Sum("value"))}
    users = get_user_model().objects.in_bulk(set(by_attempts) | set(by_recovery))
    rows = []
    for agent_id, user in users.items():
        made, talk, won = by_attempts.get(agent_id, {}), by_calls.get(agent_id, {}), by_recovery.get(agent_id, {})
        handled = talk.get("handled_sum", 0)
        rows.append(AgentRow(
            agent_id, user.get_full_name() or user.username, made.get("made", 0),
            ratio(made.get("spoken", 0), made.get("made", 0)), made.get("carts", 0), won.get("won", 0),
            ratio(won.get("won", 0), made.get("carts", 0)), won.get("worth") or Decimal("0"),
            talk["seconds"] / handled / 60 if handled else None,
            ratio(talk.get("complete_sum", 0), talk.get("reached_sum", 0)),
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
    found = _days(FrictionsByDay.objects, window, filters, route=False).values("friction_id").annotate(
        calls=Sum("found"), won=Sum("resolved"))
    labels = dict(FrictionReason.objects.values_list("pk", "label"))
    rows = [FrictionRow(labels.get(row["friction_id"], "(removed)"), row["calls"], row["won"],
                        ratio(row["won"], row["calls"])) for row in found if row["calls"]]
    return sorted(rows, key=lambda row: (-row.calls, row.label))


@dataclass(frozen=True)
class ResolutionRow:
    offer: str
    offered: int
    resolved: int
    resolved_rate: float | None


def resolutions(window: Window, filters: Filters = NO_FILTERS, *, limit: int = 15) -> list[ResolutionRow]:
    """Which offers worked: each resolution offered on calls, and the share of those calls resolved."""
    offers = (_days(OffersByDay.objects, window, filters, route=False).values("offer")
              .annotate(times=Sum("offered"), won=Sum("resolved")).order_by("-times", "offer")[:limit])
    return [ResolutionRow(row["offer"], row["times"], row["won"], ratio(row["won"], row["times"])) for row in offers]


def script_funnel(window: Window, filters: Filters = NO_FILTERS) -> list[dict]:
    """Where calls are lost: of the calls dialed in the window, how many reached each step of the script."""
    steps = range(Call.Step.FRICTION, Call.Step.COMPLETION + 1)
    counts = _days(CallsByDay.objects, window, filters).aggregate(
        all_dialed=Sum("dialed"), all_recovered=Sum("recovered"),
        **{f"reached_{step}": Sum(f"step_{step}") for step in steps})
    dialed = counts["all_dialed"] or 0
    rows = [("Dialed", dialed)] + [(Call.Step(step).label, counts[f"reached_{step}"] or 0) for step in steps]
    rows.append(("Recovered on the call", counts["all_recovered"] or 0))
    return [{"label": label, "count": count, "share": round(count * 100 / dialed) if dialed else None}
            for label, count in rows]


def daily_trend(window: Window, filters: Filters = NO_FILTERS) -> list[dict]:
    """Per day of abandonment: carts, recovered, recovery rate, value recovered, and call-first carts contacted
    within 5 minutes (control group left out; with an agent filter, the carts the agent contacted)."""
    return trend(window, filters, days_per_point=1)


def weekly_trend(window: Window, filters: Filters = NO_FILTERS) -> list[dict]:
    """The trend by weeks of 7 days counted back from the window's last day (the last one ends today, so every
    point is a whole week): a day's rate on its few carts jumps between 0 and 100%, a week's reads as a trend."""
    return trend(window, filters, days_per_point=7)


def trend(window: Window, filters: Filters = NO_FILTERS, *, days_per_point: int = 1) -> list[dict]:
    """Points of `days_per_point` days, the last one ending on the window's last day (a first point the window
    only partly covers is left out). Each point carries the carts its rates divide by (`carts`,
    `call_first_carts`), so a chart and a CSV show how many carts stand behind a rate."""
    carts = _days(CartsByDay.objects.filter(in_control_group=False), window, filters, agent=False).filter(
        agent_id=filters.scope)
    days = {row["day"]: row for row in carts.values("day").annotate(
        all=Sum("carts"), won=Sum("recovered"), worth=Sum("recovered_value"), call_first=Sum("timed"),
        fast=Sum("within_5"))}
    series = []
    first: date = window.last_day - timedelta(days=days_per_point - 1)
    while first >= window.first_day:
        span = [days.get(first + timedelta(days=offset), {}) for offset in range(days_per_point)]
        sums = {name: sum(row.get(name) or 0 for row in span) for name in ("all", "won", "worth", "call_first",
                                                                            "fast")}
        series.append({"day": first.isoformat(),
                       "last_day": (first + timedelta(days=days_per_point - 1)).isoformat(),
                       "carts": sums["all"], "recovered": sums["won"],
                       "recovery_rate": ratio(sums["won"], sums["all"]), "value": float(sums["worth"]),
                       "call_first_carts": sums["call_first"],
                       "contacted_within_5_min": ratio(sums["fast"], sums["call_first"])})
        first -= timedelta(days=days_per_point)
    return series[::-1]
