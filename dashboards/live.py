"""The live view of the floor: the queue, the 5-minute rule now, callbacks due, the agents, and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.timesince import timesince

from agents.models import AgentProfile, Call, Callback
from agents.selectors import AgentDayFigures, agents_day_figures, team_members
from core.access import AGENT, StoreScope, within_scope
from dashboards.metrics import FIVE_MINUTES
from recovery.models import Cart

AGE_BUCKETS = (("under 5 min", timedelta(0), timedelta(minutes=5)),
               ("5-30 min", timedelta(minutes=5), timedelta(minutes=30)),
               ("30 min-2 h", timedelta(minutes=30), timedelta(hours=2)),
               ("2-24 h", timedelta(hours=2), timedelta(hours=24)),
               ("over 24 h", timedelta(hours=24), None))
IDLE_AFTER = timedelta(minutes=2)  # an available agent this long without a call, while work waits, is idle


@dataclass(frozen=True)
class AgentNow:
    agent_id: int
    name: str
    status: str
    status_label: str
    since: datetime | None
    call_started: datetime | None
    customer: str
    idle: bool
    away_reason: str  # its label, while away with a reason
    day: AgentDayFigures  # the day so far


@dataclass(frozen=True)
class Alert:
    kind: str  # "five_minute_rule" or "idle_agent"
    key: str
    text: str
    cart_id: int | None = None  # the waiting cart (five_minute_rule)
    held_by: str = ""  # who holds the waiting cart now (handed out, not dialed yet)
    agent_id: int | None = None  # the idle agent (idle_agent)


def queue_depth(now: datetime, scope: StoreScope = None) -> list[dict]:
    """Open carts by route and by how long they have been workable."""
    open_carts = within_scope(Cart.objects.open(), scope).filter(in_control_group=False)
    aggregates = {}
    for index, (_label, low, high) in enumerate(AGE_BUCKETS):
        condition = Q(workable_since__lte=now - low)
        if high is not None:
            condition &= Q(workable_since__gt=now - high)
        aggregates[f"bucket_{index}"] = Count("pk", filter=condition)
    rows = []
    for route, label in Cart.Route.choices:
        counts = open_carts.filter(route=route).aggregate(total=Count("pk"), **aggregates)
        rows.append({"route": label, "total": counts["total"],
                     "buckets": [counts[f"bucket_{index}"] for index in range(len(AGE_BUCKETS))]})
    ready = open_carts.filter(route=Cart.Route.CALL_FIRST, next_call_at__isnull=True, calls_ended_at__isnull=True,
                              customer__phone__gt="")
    ready = ready.filter(Q(reserved_until__isnull=True) | Q(reserved_until__lte=now))  # as the queue reads it
    rows.append({"route": "Call first, ready to call now", "total": ready.count(), "buckets": None})
    return rows


def breaches(now: datetime, *, limit: int = 10, scope: StoreScope = None):
    """Call-first carts workable for over 5 minutes that nobody has attempted yet, oldest first."""
    waiting = Cart.objects.open().filter(route=Cart.Route.CALL_FIRST, first_attempt_at__isnull=True,
                                         in_control_group=False, workable_since__lte=now - FIVE_MINUTES)
    waiting = (within_scope(waiting, scope).select_related("store", "customer", "reserved_by")
               .order_by("workable_since"))
    return waiting.count(), list(waiting[:limit])


def callbacks_due(now: datetime, *, within: timedelta = timedelta(minutes=15), scope: StoreScope = None):
    due = Callback.objects.filter(status=Callback.Status.SCHEDULED, due_at__lte=now + within)
    return list(within_scope(due, scope, field="cart__store").select_related("agent", "cart__customer")
                .order_by("due_at")[:20])


def agents_now(now: datetime, *, work_waiting: bool, scope: StoreScope = None) -> list[AgentNow]:
    """Every agent's status, call now and day so far; within a scope, the agents who work one of its stores or
    every store."""
    open_calls = {call.agent_id: call for call in
                  Call.objects.filter(wrapped_up_at__isnull=True).select_related("cart__customer")}
    team = AgentProfile.objects.filter(user__groups__name=AGENT)  # a supervisor's profile only names their stores
    if scope is not None:
        team = team.filter(user__in=team_members(scope).values("pk"))
    profiles = list(team.select_related("user").order_by("user__first_name", "user__username"))
    days = agents_day_figures([profile.user_id for profile in profiles], now=now)
    rows = []
    for profile in profiles:
        call = open_calls.get(profile.user_id)
        idle = (work_waiting and profile.status == AgentProfile.Status.AVAILABLE and call is None
                and profile.status_since is not None and now - profile.status_since >= IDLE_AFTER)
        rows.append(AgentNow(profile.user_id, profile.user.get_full_name() or profile.user.username, profile.status,
                             profile.get_status_display(), profile.status_since,
                             call.opened_at if call else None,
                             str(call.cart.customer or "") if call else "", idle,
                             profile.get_away_reason_display() if profile.away_reason else "",
                             days.get(profile.user_id, AgentDayFigures())))
    return rows


def floor_now(*, now: datetime | None = None, scope: StoreScope = None) -> dict:
    """The floor of `scope`'s stores (None: every store): a supervisor watches their own team's queue."""
    now = now or timezone.now()
    depth = queue_depth(now, scope)
    breach_count, oldest = breaches(now, scope=scope)
    ready = depth[-1]["total"]
    agents = agents_now(now, work_waiting=ready > 0, scope=scope)
    held = {cart.pk: cart.reserved_by.get_full_name() or cart.reserved_by.username for cart in oldest
            if cart.reserved_by is not None and cart.reserved_until and cart.reserved_until > now}
    alerts = [Alert("five_minute_rule", str(cart.pk),
                    f"Cart {cart.pk} ({cart.customer or 'unknown'}, {cart.store.name}) has waited "
                    f"{timesince(cart.workable_since, now)} for a first call.", cart_id=cart.pk,
                    held_by=held.get(cart.pk, ""))
              for cart in oldest]
    alerts += [Alert("idle_agent", f"{agent.agent_id}:{agent.since:%Y%m%d%H%M}",
                     f"{agent.name} has been available for {timesince(agent.since, now)} without a call while "
                     f"{ready} carts are ready.", agent_id=agent.agent_id)
               for agent in agents if agent.idle]
    return {"now": now, "depth": depth, "buckets": [label for label, _low, _high in AGE_BUCKETS],
            "breach_count": breach_count, "oldest": oldest, "callbacks": callbacks_due(now, scope=scope),
            "agents": agents, "alerts": alerts,
            # What an alert's actions offer: the agents who may take a cart now, the waiting carts nobody holds.
            "available": [agent for agent in agents
                          if agent.status == AgentProfile.Status.AVAILABLE and agent.call_started is None],
            "waiting": [cart for cart in oldest if cart.pk not in held]}
