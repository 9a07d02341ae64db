"""Reads about the recovery team and for the call console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from agents.models import AgentProfile, Call, Callback, FrictionReason, ValuePoint
from agents.roles import ALL_ROLES


def team_members() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        .prefetch_related("groups")
        .distinct()
        .order_by("first_name", "username")
    )


# Answers that mean the agent spoke with the customer.
SPOKEN_TO = (Call.Answer.REACHED, Call.Answer.CALLBACK, Call.Answer.OPT_OUT)


@dataclass(frozen=True)
class AgentDay:
    calls: int
    reached: int
    recoveries: int
    value_recovered: Decimal


def agent_day(agent, *, now: datetime | None = None) -> AgentDay:
    """Today's numbers for the agent, since midnight UTC (a team may span time zones)."""
    now = now or timezone.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    numbers = Call.objects.filter(agent=agent, opened_at__gte=start).aggregate(
        calls=Count("pk", filter=Q(attempt__isnull=False)),
        reached=Count("pk", filter=Q(answer__in=SPOKEN_TO)),
        recoveries=Count("pk", filter=Q(disposition=Call.Disposition.RECOVERED)),
        value=Sum("cart__recovered_value", filter=Q(disposition=Call.Disposition.RECOVERED)),
    )
    return AgentDay(calls=numbers["calls"], reached=numbers["reached"], recoveries=numbers["recoveries"],
                    value_recovered=numbers["value"] or Decimal("0"))


def agent_callbacks(agent, *, limit: int = 20):
    return (Callback.objects.filter(agent=agent, status=Callback.Status.SCHEDULED)
            .select_related("cart__customer", "cart__store").order_by("due_at")[:limit])


def agent_profile(agent) -> AgentProfile:
    return AgentProfile.objects.filter(user=agent).first() or AgentProfile(user=agent)


def call_for_agent(call_id: int, agent) -> Call | None:
    return (Call.objects.select_related("cart__store", "cart__customer", "attempt", "agent")
            .filter(pk=call_id, agent=agent).first())


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    text: str


def cart_history(cart, *, limit: int = 50) -> list[HistoryEntry]:
    """Every earlier attempt, message and call note on the cart, newest first, in three queries whatever
    the history's length."""
    from compliance.models import ContactAttempt

    entries = []
    for attempt in ContactAttempt.objects.filter(cart=cart).select_related("agent").order_by("-at")[:limit]:
        who = attempt.agent.get_full_name() or attempt.agent.username if attempt.agent else "automated"
        outcome = attempt.outcome.replace("_", " ") if attempt.outcome else "in progress"
        detail = f", {attempt.provider_status}" if attempt.provider_status and attempt.channel != "voice" else ""
        duration = f", {attempt.duration_seconds} s" if attempt.duration_seconds else ""
        entries.append(HistoryEntry(attempt.at, attempt.get_channel_display(),
                                    f"{who}: {outcome}{detail}{duration}"))
    for call in Call.objects.filter(cart=cart).exclude(notes="").select_related("agent").order_by("-opened_at")[:limit]:
        entries.append(HistoryEntry(call.wrapped_up_at or call.opened_at, "Note",
                                    f"{call.agent.get_full_name() or call.agent.username}: {call.notes}"))
    for event in cart.events.order_by("-at")[:limit]:
        entries.append(HistoryEntry(event.at, "Cart", event.get_kind_display()))
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:limit]


@dataclass(frozen=True)
class CustomerClock:
    timezone: str
    local_time: datetime


def customer_clock(cart, *, now: datetime | None = None) -> CustomerClock | None:
    """The customer's local time, from the address or else the number (the first zone if several)."""
    from compliance.services import hours

    customer = cart.customer
    if customer is None or not customer.phone:
        return None
    locations = hours.recipient_locations(phone=str(customer.phone), country=customer.country,
                                          region=customer.region)
    if not locations:
        return None
    zone = locations[0].timezone
    return CustomerClock(timezone=zone, local_time=(now or timezone.now()).astimezone(ZoneInfo(zone)))


def frictions() -> list[FrictionReason]:
    return list(FrictionReason.objects.filter(is_active=True))


def value_points_for(cart) -> list[ValuePoint]:
    """The store's value points (and everyone's), those tied to a product only when it is in the cart."""
    items = [f"{item.title} {item.sku}".lower() for item in cart.line_items.all()]
    points = ValuePoint.objects.filter(Q(store=cart.store_id) | Q(store__isnull=True), is_active=True)
    return [point for point in points
            if not point.product_keyword or any(point.product_keyword.lower() in item for item in items)]


def suggested_resolutions(call: Call) -> list[str]:
    seen, suggestions = set(), []
    for friction in call.frictions.all():
        for suggestion in friction.suggestion_list:
            if suggestion not in seen:
                seen.add(suggestion)
                suggestions.append(suggestion)
    return suggestions


def customer_callback_default(cart, *, now: datetime | None = None) -> datetime | None:
    clock = customer_clock(cart, now=now)
    if clock is None:
        return None
    tomorrow = clock.local_time + timedelta(days=1)
    return tomorrow.replace(hour=10, minute=0, second=0, microsecond=0, tzinfo=None)
