"""Reads about the recovery team and for the call console."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Extract
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agents import script_lines as script_text
from agents.models import AgentNotice, AgentProfile, Call, Callback, FrictionReason, ScriptLine, ValuePoint
from compliance.selectors_attempts import ATTEMPTS_HISTORY_SQL, attempt_history_text, refusal_history_text
from compliance.services import hours
from core.access import ALL_ROLES, StoreScope
from recovery.models import Cart, Store
from recovery.selectors import CART_HISTORY_SQL, event_history_text, message_history_text
from recovery.services.money import money


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
    start = day_start(now)
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
    warning: str = ""  # what went wrong, flagged (a recovery link dropped as unsafe)


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
    if source == "event":  # its note (why a link was dropped, say) is flagged, not buried in the sentence
        return HistoryEntry(at, *event_history_text({**data, "note": ""}), warning=str(data.get("note") or ""))
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


def frictions(store_id: int | None = None) -> list[FrictionReason]:
    """Step 2's reasons on a call for the store: those every store shares and the store's own (its trade's)."""
    return list(FrictionReason.objects.for_store(store_id).filter(is_active=True))


def script_lines(cart, agent) -> dict[str, str]:
    """The spoken lines of a call on `cart`, filled in for its customer, store and agent: the store's own wording
    where a supervisor wrote one, else the default line."""
    own = dict(ScriptLine.objects.filter(store=cart.store_id).values_list("line", "text"))
    values = line_values(cart, agent)
    return {line: script_text.say(own.get(line), line, values) for line in ScriptLine.Line.values}


def line_values(cart, agent) -> dict[str, str]:
    """What each placeholder says on a call: plain text, never markup (the page escapes it)."""
    customer, item = cart.customer, main_item(cart)
    return {"customer_first_name": (customer.first_name if customer else "") or "there",
            "store_name": cart.store.name, "agent_first_name": agent.first_name or agent.get_username(),
            "cart_total": money(cart.total_value, cart.currency),
            "top_item": item.title if item else "items in your cart"}


def sample_values(store, agent) -> dict[str, str]:
    """The placeholders filled in with `script_text.SAMPLE`, a made-up cart at `store`, for the editor's preview."""
    sample = script_text.SAMPLE
    return {"customer_first_name": sample.customer_first_name, "store_name": store.name,
            "agent_first_name": agent.first_name or sample.agent_first_name,
            "cart_total": money(sample.cart_total, store.currency or sample.currency), "top_item": sample.top_item}


def main_item(cart):
    """The product the script names: the one the customer was spending most on."""
    return max(cart.line_items.all(), key=lambda item: item.line_total, default=None)


def script_line_rows(scope: StoreScope) -> list[tuple[Store, dict[str, ScriptLine]]]:
    """Each store the user may shape the script of, with the lines it says in its own words."""
    stores = Store.objects.order_by("name")
    if scope is not None:
        stores = stores.filter(pk__in=scope)
    own: dict[int, dict[str, ScriptLine]] = {}
    for line in ScriptLine.objects.filter(store__in=stores):
        own.setdefault(line.store_id, {})[line.line] = line
    return [(store, own.get(store.pk, {})) for store in stores]


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


# What the line's own report says became of a call: as the wrap-up's disposition and as the opening's answer.
LINE_DISPOSITION = {"no-answer": Call.Disposition.NO_ANSWER, "busy": Call.Disposition.BUSY,
                    "failed": Call.Disposition.FAILED}
LINE_ANSWER = {"no-answer": Call.Answer.NO_ANSWER, "busy": Call.Answer.BUSY, "failed": Call.Answer.NO_ANSWER}


def answered_by_machine(call: Call) -> bool:
    """Twilio's answering machine detection (`AnsweredBy`) said a machine or a fax took the call."""
    return call.answered_by.startswith(("machine", "fax"))


def line_answer(call: Call) -> str:
    """The opening's answer the line's events name (no answer, busy, a machine), or "" when they name none: the
    agent confirms it rather than typing what the line already knows."""
    if call.line_status in LINE_ANSWER:
        return LINE_ANSWER[call.line_status]
    return Call.Answer.VOICEMAIL if answered_by_machine(call) else ""


def wrap_up_disposition(call: Call) -> str:
    """The disposition the wrap-up starts from, for the agent to confirm: what the call already decided (a
    callback booked, an answer at the opening, a pass), else a payment taken, else a link sent, else what the
    line's events name (no answer, busy, failed, a machine)."""
    if call.disposition:
        return call.disposition
    if call.paid_by_phone_amount:
        return Call.Disposition.RECOVERED
    if call.link_sent_by:
        return Call.Disposition.LINK_SENT
    if call.line_status in LINE_DISPOSITION:
        return LINE_DISPOSITION[call.line_status]
    return Call.Disposition.VOICEMAIL if answered_by_machine(call) else ""


def elapsed_seconds(since: datetime | None, until: datetime | None = None, *,
                    now: datetime | None = None) -> int | None:
    """Whole seconds from `since` to `until` (or now), for the console's timers; None before `since`."""
    if since is None:
        return None
    return max(0, int(((until or now or timezone.now()) - since).total_seconds()))


def after_call_since(call: Call) -> datetime | None:
    """When after-call work began: the line's end; while the line is still up, the wrap-up step."""
    if call.ended_at is not None:
        return call.ended_at
    reached = call.step_times.get(str(Call.Step.WRAP_UP))
    return datetime.fromisoformat(reached) if reached else None


def call_optout_at(call: Call) -> datetime | None:
    """When the customer asked, on this call, not to be contacted (the opening's answer took the call to its
    wrap-up, and the opt-out was recorded at that moment); None otherwise."""
    if call.answer != Call.Answer.OPT_OUT:
        return None
    reached = call.step_times.get(str(Call.Step.WRAP_UP))
    return datetime.fromisoformat(reached) if reached else None


def agent_notices_open(agent) -> list[AgentNotice]:
    """The notices the agent has not dismissed yet, oldest first (the console polls them)."""
    return list(AgentNotice.objects.filter(agent=agent, dismissed_at__isnull=True).select_related("sent_by")[:10])


# A call's talk time, in seconds: what the call kept from its line; for calls from before it kept it, from the
# answer to the hang-up as the line reported them, else the provider's duration.
TALK_SECONDS = Coalesce(Cast("talk_seconds", FloatField()),
                        Extract(F("ended_at") - F("answered_at"), "epoch", output_field=FloatField()),
                        Cast("duration_seconds", FloatField()), Value(0.0))
# A dialed call's handle time: talk time and after-call work, as the dashboards' roll-ups count it
# (`dashboards.rollup_sql.CALLS`, which falls back the same way), so the floor's average and the leaderboard's agree.
HANDLE_SECONDS = Coalesce(Cast(F("talk_seconds") + F("after_call_seconds"), FloatField()),
                          Extract(F("wrapped_up_at") - F("opened_at"), "epoch", output_field=FloatField()))
# How far back a status change can still be the one in force (the dashboards' longest shift).
LONGEST_SHIFT = timedelta(hours=10)
# Per agent, the seconds since `start` on duty (any status but away) and busy (on a call or wrapping up): a
# status lasts until the next change, a shift at most, or now.
_DUTY_SQL = """
WITH stretches AS (
    SELECT agent_id, status, greatest(at, %(start)s) AS since,
           least(coalesce(lead(at) OVER (PARTITION BY agent_id ORDER BY at, id), %(now)s), at + %(shift)s,
                 %(now)s) AS until
    FROM agents_agentstatuschange
    WHERE agent_id = ANY(%(agents)s) AND at >= %(start)s::timestamptz - %(shift)s AND at <= %(now)s
)
SELECT agent_id,
       coalesce(sum(extract(epoch FROM until - since)) FILTER (WHERE status <> 'away'), 0),
       coalesce(sum(extract(epoch FROM until - since)) FILTER (WHERE status IN ('on_call', 'wrap_up')), 0)
FROM stretches WHERE until > since GROUP BY agent_id
"""


@dataclass(frozen=True)
class AgentDayFigures:
    """An agent's day so far, as the supervisor's floor shows it."""

    calls: int = 0  # dialed
    reached: int = 0
    talk_seconds: float = 0.0
    handled: int = 0  # dialed and wrapped up: the handle time's denominator
    handle_seconds: float = 0.0
    duty_seconds: float = 0.0  # on duty: any status but away
    busy_seconds: float = 0.0  # on a call or wrapping up

    @property
    def average_handle_seconds(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None

    @property
    def occupancy(self) -> float | None:
        """The share of the time on duty spent on calls and wrap-ups (None before any time on duty)."""
        return min(self.busy_seconds / self.duty_seconds, 1.0) if self.duty_seconds else None

    @property
    def calls_per_hour(self) -> float | None:
        return self.calls / (self.duty_seconds / 3600) if self.duty_seconds >= 60 else None


def day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: the start of an agent's "today" on the console and on the floor."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def agents_day_figures(agent_ids: list[int], *, now: datetime | None = None) -> dict[int, AgentDayFigures]:
    """Each agent's day so far (since midnight UTC): calls dialed, reached, talk time, handle time, time on duty
    and busy. Two statements whatever the number of agents: the calls aggregated, and the status log's stretches."""
    now = now or timezone.now()
    start = day_start(now)
    calls = (Call.objects.filter(agent_id__in=agent_ids, opened_at__gte=start, opened_at__lte=now,
                                 attempt__isnull=False)
             .values("agent_id")
             .annotate(calls=Count("pk"), reached=Count("pk", filter=Q(answer__in=SPOKEN_TO)),
                       talk_total=Sum(TALK_SECONDS), handled=Count("wrapped_up_at"),
                       handle_total=Sum(HANDLE_SECONDS, filter=Q(wrapped_up_at__isnull=False))))
    # The sums are named apart from `Call`'s own talk_seconds, which the expressions read.
    names = {"talk_total": "talk_seconds", "handle_total": "handle_seconds"}
    figures = {row["agent_id"]: {names.get(key, key): value or 0 for key, value in row.items() if key != "agent_id"}
               for row in calls}
    with connection.cursor() as cursor:
        cursor.execute(_DUTY_SQL, {"agents": list(agent_ids), "start": start, "now": now, "shift": LONGEST_SHIFT})
        for agent_id, duty, busy in cursor.fetchall():
            figures.setdefault(agent_id, {}).update(duty_seconds=float(duty), busy_seconds=float(busy))
    return {agent_id: AgentDayFigures(**values) for agent_id, values in figures.items()}
