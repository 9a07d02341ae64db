"""The console benchmark's own rows on top of the work-queue benchmark's carts: agents signed in, one open call
each on a cart the queue handed them, and that cart's history.

A cart's history is what the cart screen shows and the compliance gate reads: earlier contact attempts (each with
the gate's decision, as the gate writes them), the automated messages (at most one per step), cart events, and
earlier calls with their notes, all days before the run's instant so none of them counts towards today's caps.
`history_plan` splits a number of rows between those kinds, so the query count can be shown for 0 to 1,000 rows.
"""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.work_queue import setup as queue_setup

AGENT_GROUP = "Recovery specialists"
HISTORY_BEFORE = timedelta(days=2)  # the newest history row is this long before the run's instant
HISTORY_SPACING = timedelta(hours=3)
LOAD_HISTORY_ROWS = (12, 60)  # the load carts' history, drawn per cart: 5-29 earlier attempts
VALUE_POINTS = [("Free returns for 60 days", ""), ("Two-year warranty, handled by us", ""),
                ("4.8 stars from 2,300 reviews", ""), ("Fitted free at any partner shop", "bike")]
_CSRF_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class HistoryPlan:
    """How many rows of each kind a cart's history of `rows` rows holds (they add up to `rows`)."""

    messages: int  # RecoveryMessage, each with its own sms/email attempt (counted under attempts)
    attempts: int  # ContactAttempt (+ ContactDecision), messages' included
    events: int  # CartEvent
    calls: int  # earlier Call with notes, each on one of the voice attempts

    @property
    def rows(self) -> int:
        return self.messages + self.attempts + self.events + self.calls


def history_plan(rows: int) -> HistoryPlan:
    messages = min(3, rows // 4)  # one message per step of the sequence, three steps
    rest = rows - messages
    calls, events = rest // 6, rest // 3
    return HistoryPlan(messages=messages, attempts=rest - calls - events, events=events, calls=calls)


@dataclass(frozen=True)
class ConsoleAgent:
    """A signed-in agent with an open call: what the HTTP client needs to act as them."""

    user_id: int
    username: str
    call_id: int
    cart_id: int
    history_rows: int
    session_key: str
    csrf_token: str


def sign_in(user) -> tuple[str, str]:
    """A session as Django's login() leaves it (for `user`, through the backend that loads users), and a CSRF secret for
    the cookie and the X-CSRFToken header; returns (session key, CSRF token)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = _user_backend()
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key, "".join(secrets.choice(_CSRF_ALPHABET) for _ in range(32))


def _user_backend() -> str:
    """The backend login() would record: the first that loads users (django-axes' backend only guards sign-ins,
    so a session naming it fails on every request)."""
    from django.conf import settings
    from django.contrib.auth import load_backend

    return next(path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user"))


def sign_out_everyone(session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=session_keys).delete()


def make_specialists(agents: list[queue_setup.Agent]) -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=AGENT_GROUP)
    group.user_set.add(*(agent.user_id for agent in agents))


def create_value_points(store_ids: list[int]) -> None:
    """A few value points per store for step 4 (a store's own; none for every store, which would outlive the run)."""
    from agents.models import ValuePoint

    ValuePoint.objects.bulk_create([ValuePoint(store_id=store, text=text, product_keyword=keyword, position=number)
                                    for store in store_ids for number, (text, keyword) in enumerate(VALUE_POINTS)])


def open_call(agent: queue_setup.Agent, *, at: datetime):
    """The queue hands the agent a cart (`call_take_next`), the agent dials it (offline, the gate asked at the run's
    instant) and the customer answers: the call waits at step 2. Returns the call, or None when the queue had
    nothing for this agent or the gate refused the dial."""
    from django.contrib.auth import get_user_model

    from agents.models import Call
    from agents.services.calls import call_answer_record, call_dial, call_take_next

    user = get_user_model().objects.get(pk=agent.user_id)
    call = call_take_next(user, now=at)
    if call is None:
        return None
    decision = call_dial(call, agent=user, now=at)
    if not decision.allowed:
        return None
    call = Call.objects.select_related("cart__customer", "cart__store").get(pk=call.pk)
    return call_answer_record(call, agent=user, answer=Call.Answer.REACHED, now=at + timedelta(seconds=5))


def add_history(call, *, rows: int, at: datetime, history_agent_id: int, seed: int) -> HistoryPlan:
    """Give the call's cart `rows` rows of history (see `history_plan`), newest HISTORY_BEFORE before `at`."""
    from recovery.models import CartEvent, RecoveryMessage

    plan = history_plan(rows)
    rng = random.Random(seed)
    cart = call.cart
    times = iter(at - HISTORY_BEFORE - HISTORY_SPACING * number for number in range(plan.rows + 1))
    attempts = _attempts(cart, plan, times, history_agent_id, rng)
    RecoveryMessage.objects.bulk_create([
        RecoveryMessage(cart=cart, step=step, channel=attempt.channel, status=RecoveryMessage.Status.SENT,
                        attempt=attempt, recipient=attempt.phone or attempt.email, provider_id=f"SM{attempt.pk:032d}",
                        tries=1, sent_at=attempt.at)
        for step, attempt in enumerate(attempts[:plan.messages], start=1)])
    kinds = [CartEvent.Kind.CREATED, CartEvent.Kind.UPDATED, CartEvent.Kind.UPDATED, CartEvent.Kind.ABANDONED]
    CartEvent.objects.bulk_create([
        CartEvent(cart=cart, kind=kinds[number % len(kinds)], source=CartEvent.Source.SHOPIFY, at=next(times),
                  detail={"bench": number}) for number in range(plan.events)])
    _earlier_calls(cart, attempts[plan.messages:plan.messages + plan.calls], history_agent_id, rng)
    return plan


def _attempts(cart, plan: HistoryPlan, times, agent_id: int, rng: random.Random) -> list:
    """The attempts with their decisions, as the gate records them; the messages' come first."""
    from compliance.models import ContactAttempt, ContactDecision

    customer = cart.customer
    phone, email = str(customer.phone or ""), customer.email
    rows = []
    for number in range(plan.attempts):
        channel = ("sms" if number % 2 == 0 else "email") if number < plan.messages else "voice"
        rows.append((channel, next(times)))
    decisions = ContactDecision.objects.bulk_create([
        ContactDecision(at=when, requested_by_id=agent_id if channel == "voice" else None,
                        requester="agent:history" if channel == "voice" else "task:send_recovery_message",
                        store_id=cart.store_id, phone=phone if channel != "email" else "",
                        email=email if channel == "email" else "", channel=channel, allowed=True, basis="inquiry",
                        list_versions={"national": 1}, recipient_timezones=["America/New_York"])
        for channel, when in rows])
    outcomes = ["no_answer", "voicemail", "busy", "reached", "no_answer"]
    return ContactAttempt.objects.bulk_create([
        ContactAttempt(decision=decision, store_id=cart.store_id, cart=cart, channel=decision.channel,
                       phone=decision.phone, email=decision.email,
                       agent_id=agent_id if decision.channel == "voice" else None, at=decision.at,
                       duration_seconds=rng.randint(5, 400) if decision.channel == "voice" else None,
                       outcome=rng.choice(outcomes) if decision.channel == "voice" else "sent",
                       provider_status="completed" if decision.channel == "voice" else "delivered")
        for decision in decisions])


def _earlier_calls(cart, attempts: list, agent_id: int, rng: random.Random) -> None:
    from agents.models import Call

    Call.objects.bulk_create([
        Call(cart=cart, agent_id=agent_id, attempt=attempt, opened_at=attempt.at - timedelta(minutes=1),
             step=Call.Step.DONE, step_times={"1": attempt.at.isoformat()}, answer=Call.Answer.REACHED,
             disposition=Call.Disposition.CALLBACK, wrapped_up_at=attempt.at + timedelta(minutes=4),
             notes=rng.choice(["Wants to ask her partner first.", "Call back after payday.",
                               "Asked about the warranty; sending details."]), line_status="completed",
             duration_seconds=attempt.duration_seconds)
        for attempt in attempts if attempt.channel == "voice"])


def console_agent(agent: queue_setup.Agent, call, history_rows: int) -> ConsoleAgent:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=agent.user_id)
    session_key, csrf = sign_in(user)
    return ConsoleAgent(user_id=user.pk, username=user.username, call_id=call.pk, cart_id=call.cart_id,
                        history_rows=history_rows, session_key=session_key, csrf_token=csrf)


def set_up_agents(agents: list[queue_setup.Agent], *, at: datetime, history_agent_id: int,
                  seed: int = 20261124) -> tuple[list[ConsoleAgent], list[str]]:
    """An open call with 12-60 rows of history (5-29 earlier attempts) for each agent; returns the agents who got
    one and the problems of those who did not."""
    rng = random.Random(seed)
    ready, problems = [], []
    for agent in agents:
        call = open_call(agent, at=at)
        if call is None:
            problems.append(f"{agent.name}: no cart from the queue, or the dial was refused")
            continue
        rows = rng.randint(*LOAD_HISTORY_ROWS)
        add_history(call, rows=rows, at=at, history_agent_id=history_agent_id, seed=rng.randrange(1 << 30))
        ready.append(console_agent(agent, call, rows))
    return ready, problems


def remove_everything_else(session_keys: list[str]) -> None:
    """What the stores' truncation does not reach: the sessions, and the gate's decisions (kept without a foreign key
    to the store; TRUNCATE, as the append-only trigger refuses DELETE)."""
    from django.db import connection

    sign_out_everyone(session_keys)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE compliance_contactdecision CASCADE")
