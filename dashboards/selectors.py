"""Reads for the home screen and the dashboard's page: what the queue holds now, filter choices, the figures'
freshness. The figures of a window (carts, recoveries, speed to lead) are `dashboards.metrics`', for both pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from agents.selectors import team_members
from core.access import AGENT, within_scope
from dashboards.metrics import FIVE_MINUTES
from dashboards.models import RolledUpDay
from dashboards.rollups import ROLLUP_MAX_AGE, ROLLUP_SPAN_DAYS, days_due
from recovery.models import Cart, Store


def carts_now(*, scope: frozenset[int] | None = None) -> dict:
    """What the queue holds now, live (the window's figures are `dashboards.metrics`', read from the roll-ups)."""
    return {"open_now": within_scope(Cart.objects.open(), scope).count(),
            "in_checkout_now": within_scope(Cart.objects.pending_abandonment(), scope).count()}


def waiting_past_rule(*, now: datetime | None = None, scope: frozenset[int] | None = None) -> dict:
    """The 5-minute rule now: open call-first carts not contacted within 5 minutes of becoming workable. A live
    alarm, not a window's figure (those are `dashboards.metrics.speed_to_lead`, on the home page and the dashboard
    alike)."""
    now = now or timezone.now()
    waiting = within_scope(Cart.objects.open().filter(
        route=Cart.Route.CALL_FIRST, in_control_group=False, first_attempt_at__isnull=True,
        workable_since__lte=now - FIVE_MINUTES), scope)
    return {"count": waiting.count(), "oldest": waiting.order_by("workable_since").first()}


def filter_choices(scope: frozenset[int] | None = None) -> dict:
    """Stores and agents to filter the dashboard by: within `scope`, its stores and the agents who work them."""
    agents = team_members(scope).filter(groups__name=AGENT)
    stores = within_scope(Store.objects.order_by("name"), scope, field="pk")
    return {"stores": list(stores.values_list("pk", "name")),
            "agents": [(user.pk, user.get_full_name() or user.username) for user in agents],
            "routes": Cart.Route.choices}


@dataclass(frozen=True)
class Freshness:
    """How fresh the dashboard's figures are, so a supervisor is never misled by days a page does not build."""

    as_of: datetime | None  # the moment today's roll-ups describe; None when today is not built yet
    today_behind: bool  # today was built, but longer ago than ROLLUP_MAX_AGE (no scheduler running?)
    earlier_unbuilt: int  # days before today, among those the page reads, missing or built before they ended
    max_age_minutes: int = int(ROLLUP_MAX_AGE.total_seconds() // 60)


def rollups_freshness(*, now: datetime) -> Freshness:
    """Which of the days the dashboard reads (ROLLUP_SPAN_DAYS to today) are built and how recently: the page reads
    what beat and `rollup_dashboards` built and says so, rather than building them itself on a GET."""
    today = timezone.localdate(now)
    due = days_due(today - timedelta(days=ROLLUP_SPAN_DAYS - 1), today, now=now)
    as_of = rollups_as_of(today)
    return Freshness(as_of=as_of, today_behind=as_of is not None and today in due,
                     earlier_unbuilt=sum(1 for day in due if day != today))


def rollups_as_of(day: date) -> datetime | None:
    """The moment the day's roll-ups describe: the dashboard says how fresh its figures are."""
    return RolledUpDay.objects.filter(day=day).values_list("as_of", flat=True).first()
