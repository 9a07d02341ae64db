"""Reads about the recovery team and for the call console."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agents.models import AgentProfile, Call, Callback, FrictionReason, ValuePoint
from compliance.selectors_attempts import ATTEMPTS_HISTORY_SQL, attempt_history_text, refusal_history_text
from compliance.services import hours
from core.access import ALL_ROLES, StoreScope
from recovery.models import Cart
from recovery.selectors import CART_HISTORY_SQL, event_history_text, message_history_text


def team_members(scope: StoreScope = None) -> QuerySet:
    """People of the recovery team; within a scope, those who work one of its stores or every store."""
    members = get_user_model().objects.filter(is_active=True, groups__name__in=ALL_ROLES)
    if scope is not None:
        members = members.filter(Q(agent_profile__isnull=True) | Q(agent_profile__stores__isnull=True)
                                 | Q(agent_profile__stores__in=scope))
    return members.prefetch_related("groups").distinct().order_by("first_name", "username")


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


def cart_next_callback(cart) -> Callback | None:
    """The cart's next booked callback still owed, if any: the cart page says the next call is that one."""
    return (Callback.objects.filter(cart=cart, status=Callback.Status.SCHEDULED).select_related("agent")
            .order_by("due_at").first())


def agent_profile(agent) -> AgentProfile:
    return AgentProfile.objects.filter(user=agent).first() or AgentProfile(user=agent)


def call_for_agent(call_id: int, agent) -> Call | None:
    return (Call.objects.select_related("cart__store", "cart__customer", "attempt", "agent")
            .prefetch_related("cart__line_items").filter(pk=call_id, agent=agent).first())


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str
    text: str
    detail: str = ""  # a second line: a call's step times


# Agents' part of a cart's history (rows as (at, source, id, data), as each owner gives its part): the calls with
# their answers, outcomes and step times, the agents' notes, and the callbacks booked.
_CALLS_HISTORY_SQL = """
(SELECT call.opened_at, 'call', call.id, jsonb_build_object(
        'answer', call.answer, 'disposition', call.disposition, 'step_times', call.step_times,
        'attempt', call.attempt_id, 'seconds', call.duration_seconds, 'open', call.wrapped_up_at IS NULL,
        'who', coalesce(nullif(trim(agent.first_name || ' ' || agent.last_name), ''), agent.username))
 FROM agents_call AS call JOIN auth_user AS agent ON agent.id = call.agent_id
 WHERE call.cart_id = %(cart)s ORDER BY call.opened_at DESC LIMIT %(limit)s)
UNION ALL
(SELECT coalesce(call.wrapped_up_at, call.opened_at), 'note', call.id, jsonb_build_object('text', call.notes,
        'who', coalesce(nullif(trim(agent.first_name || ' ' || agent.last_name), ''), agent.username))
 FROM agents_call AS call JOIN auth_user AS agent ON agent.id = call.agent_id
 WHERE call.cart_id = %(cart)s AND call.notes <> '' ORDER BY call.opened_at DESC LIMIT %(limit)s)
UNION ALL
(SELECT callback.created_at, 'callback', callback.id, jsonb_build_object(
        'local_time', callback.local_time, 'zone', callback.customer_timezone, 'status', callback.status,
        'who', coalesce(nullif(trim(agent.first_name || ' ' || agent.last_name), ''), agent.username))
 FROM agents_callback AS callback JOIN auth_user AS agent ON agent.id = callback.agent_id
 WHERE callback.cart_id = %(cart)s ORDER BY callback.created_at DESC LIMIT %(limit)s)
"""
# The whole history in one statement, composed of each owner's fragment: the console's side panel and the
# supervisor's cart page read it alike, and it costs one round trip however long the history.
# B608: constant fragments joined; every value is a parameter.
_HISTORY_SQL = ("SELECT * FROM (" + _CALLS_HISTORY_SQL + " UNION ALL " + CART_HISTORY_SQL  # nosec B608
                + " UNION ALL " + ATTEMPTS_HISTORY_SQL + ") AS history (at, source, id, data) "
                "ORDER BY at DESC, id DESC LIMIT %(limit)s")
# Labels of the call's script steps, for its step times.
_STEP_LABELS = dict(Call.Step.choices)


def _step_times(step_times: dict) -> str:
    """"Opening 14:02:10 · Friction +35 s · Objections +1 min 10 s": when each step was reached, each after the one
    before (where a call was lost, and how long each part took)."""
    moments = sorted((parse_datetime(moment), int(step)) for step, moment in (step_times or {}).items()
                     if int(step) in _STEP_LABELS and parse_datetime(moment) is not None)
    parts, previous = [], None
    for moment, step in moments:
        if previous is None:
            parts.append(f"{_STEP_LABELS[step]} {timezone.localtime(moment):%H:%M:%S}")
        else:
            seconds = int((moment - previous).total_seconds())
            minutes, rest = divmod(seconds, 60)
            parts.append(f"{_STEP_LABELS[step]} +{f'{minutes} min ' if minutes else ''}{rest} s")
        previous = moment
    return " · ".join(parts)


def _call_entry(at: datetime, data: dict, attempt: dict | None) -> HistoryEntry:
    answer = dict(Call.Answer.choices).get(data.get("answer") or "", "")
    disposition = dict(Call.Disposition.choices).get(data.get("disposition") or "", "")
    if data.get("open"):
        outcome = "on the line now" if attempt else "cart taken, not dialled yet"
    else:
        outcome = " → ".join(part for part in (answer, disposition) if part) or "no outcome"
    seconds = data.get("seconds") or (attempt or {}).get("seconds")
    tail = f", {seconds} s" if seconds else ""
    return HistoryEntry(at, "Call", f"{data.get('who')}: {outcome}{tail}", _step_times(data.get("step_times")))


def _message_entry(at: datetime, data: dict, attempt: dict | None) -> HistoryEntry:
    kind, text = message_history_text(data)
    delivery = (attempt or {}).get("provider_status") or ""
    if delivery and delivery != data.get("status"):
        text += f" · {delivery}"
    if (attempt or {}).get("provider_error"):
        text += f" ({attempt['provider_error']})"
    return HistoryEntry(at, kind, text)


def _other_entry(at: datetime, source: str, data: dict) -> HistoryEntry:
    if source == "note":
        return HistoryEntry(at, "Note", f"{data.get('who')}: {data.get('text')}")
    if source == "callback":
        status = dict(Callback.Status.choices).get(data.get("status", ""), data.get("status", ""))
        return HistoryEntry(at, "Callback", f"{data.get('who')} booked {data.get('local_time')} ({data.get('zone')}): "
                                            f"{status.lower()}")
    if source == "refusal":
        return HistoryEntry(at, *refusal_history_text(data))
    if source == "event":
        return HistoryEntry(at, *event_history_text(data))
    return HistoryEntry(at, *attempt_history_text(data))


def cart_history(cart, *, limit: int = 50) -> list[HistoryEntry]:
    """The cart's whole history, newest first, as the console's side panel and the supervisor's cart page show
    it: calls with their outcomes and step times, texts and emails with their delivery, notes, callbacks, cart
    events and the gate's refusals. One statement composed of each owner's fragment; an attempt that a call or a
    message stands for is shown on that call or message, not twice."""
    customer = cart.customer
    params = {"cart": cart.pk, "store": cart.store_id, "limit": limit,
              "phone": getattr(customer.phone, "as_e164", str(customer.phone)) if customer and customer.phone else "",
              "email": customer.email if customer is not None else ""}
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, params)
        # Django leaves jsonb undecoded on a raw cursor (its JSONField decodes it): decoded here.
        rows = [(at, source, row_id, json.loads(data)) for at, source, row_id, data in cursor.fetchall()]
    attempts = {row_id: data for _, source, row_id, data in rows if source == "attempt"}
    shown_on = {data["attempt"] for _, source, _, data in rows if source in ("call", "message") and data.get("attempt")}
    entries = []
    for at, source, row_id, data in rows:
        if source == "call":
            entries.append(_call_entry(at, data, attempts.get(data.get("attempt"))))
        elif source == "message":
            entries.append(_message_entry(at, data, attempts.get(data.get("attempt"))))
        elif not (source == "attempt" and row_id in shown_on):
            entries.append(_other_entry(at, source, data))
    return entries


@dataclass(frozen=True)
class CustomerClock:
    timezone: str
    local_time: datetime


def customer_clock(cart, *, now: datetime | None = None) -> CustomerClock | None:
    """The customer's local time, from the address or else the number (the first zone if several)."""
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


def recent_carts_worked_by(agent, limit: int = 15) -> QuerySet[Cart]:
    """The carts an agent holds or held (a call of theirs): all of the customers' details an agent may see."""
    worked = Call.objects.filter(agent=agent).values("cart_id")
    carts = Cart.objects.filter(pk__in=worked).select_related("store", "customer")
    return carts.order_by("-abandoned_at", "-pk")[:limit]
