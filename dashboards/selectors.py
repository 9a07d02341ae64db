"""Reads for the home screen and the dashboard's page: headline numbers, filter choices, the figures' freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from agents.selectors import team_members
from core.access import AGENT, within_scope
from dashboards.metrics import FIVE_MINUTES
from dashboards.models import RolledUpDay
from dashboards.rollups import ROLLUP_MAX_AGE, ROLLUP_SPAN_DAYS, days_due
from recovery.models import Cart, Store


def recovery_summary(*, days: int = 30, scope: frozenset[int] | None = None) -> dict:
    """The headline numbers of the last `days` days, for the stores of `scope` (None: every store)."""
    since = timezone.now() - timedelta(days=days)
    abandoned = within_scope(Cart.objects.filter(abandoned_at__gte=since), scope)
    totals = abandoned.aggregate(
        carts=Count("pk"),
        recovered=Count("pk", filter=Q(status=Cart.Status.RECOVERED)),
        value_abandoned=Sum("total_value"),
        value_recovered=Sum("recovered_value", filter=Q(status=Cart.Status.RECOVERED)),
    )
    carts = totals["carts"] or 0
    return {
        "days": days,
        "carts": carts,
        "recovered": totals["recovered"],
        "recovery_rate": (Decimal(totals["recovered"]) / carts * 100).quantize(Decimal("0.1")) if carts else None,
        "value_abandoned": totals["value_abandoned"] or Decimal("0"),
        "value_recovered": totals["value_recovered"] or Decimal("0"),
        "open_now": within_scope(Cart.objects.open(), scope).count(),
        "in_checkout_now": within_scope(Cart.objects.pending_abandonment(), scope).count(),
    }


def speed_to_lead(*, days: int = 30, now=None, scope: frozenset[int] | None = None) -> dict:
    """The 5-minute rule: call-first carts still waiting past it, and how fast first attempts came."""
    now = now or timezone.now()
    waiting = within_scope(Cart.objects.open().filter(
        route=Cart.Route.CALL_FIRST, first_attempt_at__isnull=True, workable_since__lte=now - FIVE_MINUTES
    ), scope)
    attempted = within_scope(Cart.objects.all(), scope).filter(
        route=Cart.Route.CALL_FIRST, workable_since__gte=now - timedelta(days=days), first_attempt_at__isnull=False
    ).annotate(wait=ExpressionWrapper(F("first_attempt_at") - F("workable_since"), output_field=DurationField()))
    totals = attempted.aggregate(count=Count("pk"), late=Count("pk", filter=Q(wait__gt=FIVE_MINUTES)))
    return {"waiting_past_rule": waiting.count(), "oldest_waiting": waiting.order_by("workable_since").first(),
            "attempted": totals["count"], "attempted_late": totals["late"]}


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
