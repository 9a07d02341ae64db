"""The call console's writes: take the next cart, walk the five steps, wrap up.

A `Call` is opened when the queue hands an agent a cart and closed by the wrap-up, which
requires a disposition: until then the queue gives the agent nothing new (the one open
call per agent is also a database constraint). Each step records its answers and the time
it was reached. Dialing asks the compliance gate server-side (`call_dial`); the opening's
answer "asked not to be called" records an opt-out at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, AgentStatusChange, AwayReason, Call, FrictionReason
from agents.services.line import call_line_hang_up
from agents.services.queue import cart_pass, cart_release, next_cart
from compliance.models import OptOut
from compliance.models.choices import OptOutScope
from compliance.services import Decision, contact_attempt_finish
from compliance.services.optouts import optout_record
from recovery.models import Cart
from recovery.services.attempts import cart_contact_attempt_start
from recovery.services.carts import cart_close
from recovery.services.work_queue import customer_number_wrong

# Where each answer of the opening leads, and the disposition it suggests for the wrap-up.
ANSWER_NEXT_STEP = {
    Call.Answer.REACHED: Call.Step.FRICTION,
    Call.Answer.CALLBACK: Call.Step.COMPLETION,  # step 5 holds the callback form
}
ANSWER_DISPOSITION = {
    Call.Answer.NO_ANSWER: Call.Disposition.NO_ANSWER,
    Call.Answer.VOICEMAIL: Call.Disposition.VOICEMAIL,
    Call.Answer.BUSY: Call.Disposition.BUSY,
    Call.Answer.WRONG_NUMBER: Call.Disposition.WRONG_NUMBER,
    Call.Answer.OPT_OUT: Call.Disposition.DO_NOT_CALL,
}


PASSED_NOT_DIALED = "You passed this cart: it is not dialed. Save the wrap-up to take the next one."


class NotYourCall(ValidationError):
    pass


def open_call_for(agent) -> Call | None:
    return (Call.objects.select_related("cart__store", "cart__customer", "attempt")
            .filter(agent=agent, wrapped_up_at__isnull=True).first())


def agent_status_set(agent, status: str, *, reason: str = "", now: datetime | None = None) -> AgentProfile:
    """Available, on a call, wrap-up or away (with `reason`, an `AwayReason` or blank); away also sends the
    agent's due callbacks to the team. A new reason while away is a change of its own: the floor shows it."""
    reason = reason if status == AgentProfile.Status.AWAY else ""
    if reason and reason not in AwayReason.values:
        raise ValidationError("Choose why you are away: break, lunch, training, meeting or other.")
    profile, created = AgentProfile.objects.get_or_create(user=agent)
    changed = profile.status != status or profile.away_reason != reason
    if changed or created or profile.status_since is None:  # a profile made in the admin
        profile.status, profile.away_reason, profile.status_since = status, reason, now or timezone.now()
        profile.is_available = status != AgentProfile.Status.AWAY
        profile.save(update_fields=["status", "away_reason", "status_since", "is_available"])
        AgentStatusChange.objects.create(agent=agent, status=status, away_reason=reason, at=profile.status_since)
    return profile


@transaction.atomic
def call_take_next(agent, *, now: datetime | None = None) -> Call | None:
    """The agent's open call, else a new one on the cart the queue hands out (None: nothing to call now).

    Raises the queue's WrapUpRequired / HourlyLimitReached.
    """
    now = now or timezone.now()
    current = open_call_for(agent)
    if current is not None:
        return current
    cart = next_cart(agent, now=now)
    if cart is None:
        return None
    call = Call.objects.create(cart=cart, agent=agent, opened_at=now, step=Call.Step.OPENING,
                               step_times={str(Call.Step.OPENING): now.isoformat()})
    agent_status_set(agent, AgentProfile.Status.ON_CALL, now=now)
    return call


def _move_to(call: Call, step: int, *, now: datetime) -> None:
    """Move the call to `step`, keeping when; a dialed call reaching its wrap-up keeps the step it ended on."""
    if step == Call.Step.WRAP_UP and call.step < Call.Step.WRAP_UP and call.attempt_id:
        call.ended_at_step = call.step
    call.step = step
    call.step_times = {**call.step_times, str(step): now.isoformat()}


def call_owned_check(call: Call, agent) -> None:
    """Only the agent whose call it is may change it, and only until the wrap-up."""
    if call.agent_id != agent.pk:
        raise NotYourCall("This call belongs to another agent.", code="not_yours")
    if not call.is_open:
        raise ValidationError("This call is already wrapped up.", code="wrapped_up")


@transaction.atomic
def call_dial(call: Call, *, agent, now: datetime | None = None) -> Decision:
    """Ask the gate, server-side, to call the cart's customer; on yes, record the attempt on the call.

    The number is always the customer's on file, whatever a browser asked to dial. A cart the agent passed is
    not dialed afterwards (a Dial button left on another tab, a D pressed late): the agent chose not to call.
    """
    call_owned_check(call, agent)
    if call.passed:
        raise ValidationError(PASSED_NOT_DIALED, code="passed")
    cart = call.cart
    phone = str(cart.customer.phone) if cart.customer and cart.customer.phone else ""
    decision, attempt = cart_contact_attempt_start(channel="voice", store=cart.store, phone=phone, cart=cart,
                                                   customer=cart.customer, agent=agent,
                                                   requester=f"agent:{agent.username}", at=now or timezone.now())
    if attempt is not None:
        call.attempt, call.line_status = attempt, "initiated"
        call.save(update_fields=["attempt", "line_status"])
    return decision


@transaction.atomic
def call_answer_record(call: Call, *, agent, answer: str, now: datetime | None = None) -> Call:
    """Step 1's outcome. An opt-out is recorded at once (all contact, every store's gate sees it)."""
    call_owned_check(call, agent)
    if not call.attempt_id:
        raise ValidationError("Dial the customer first (or pass the cart if it should not be called).",
                              code="not_dialed")
    if answer not in Call.Answer.values:
        raise ValidationError("Choose how the call went.", code="answer")
    now = now or timezone.now()
    call.answer = answer
    cart, customer = call.cart, call.cart.customer
    if answer == Call.Answer.OPT_OUT and customer is not None:
        evidence = f"Asked not to be contacted, on a call with {agent.get_full_name() or agent.username}."
        if customer.phone:
            optout_record(phone=str(customer.phone), scope=OptOutScope.ALL, source=OptOut.Source.AGENT,
                          store=cart.store, recorded_by=agent, evidence=evidence, at=now)
        if customer.email:
            optout_record(email=customer.email, scope=OptOutScope.ALL, source=OptOut.Source.AGENT,
                          store=cart.store, recorded_by=agent, evidence=evidence, at=now)
        cart_close(cart, status=Cart.Status.SUPPRESSED, at=now,
                   reason="The customer asked not to be contacted (recorded on a call).")
    if answer == Call.Answer.WRONG_NUMBER and customer is not None and customer.phone:
        customer_number_wrong(customer=customer)
    if answer in ANSWER_DISPOSITION:
        call.disposition = ANSWER_DISPOSITION[answer]
        agent_status_set(agent, AgentProfile.Status.WRAP_UP, now=now)
    _move_to(call, ANSWER_NEXT_STEP.get(answer, Call.Step.WRAP_UP), now=now)
    call.save(update_fields=["answer", "disposition", "step", "step_times", "ended_at_step"])
    return call


@transaction.atomic
def call_frictions_record(call: Call, *, agent, codes: list[str], notes: str = "",
                          now: datetime | None = None) -> Call:
    """Step 2: why the customer stopped (several may apply), among the reasons of the cart's store."""
    call_owned_check(call, agent)
    frictions = list(FrictionReason.objects.for_store(call.cart.store_id).filter(code__in=codes, is_active=True))
    if not frictions:
        raise ValidationError("Pick at least one reason (use “Other” and a note if none fits).", code="friction")
    call.frictions.set(frictions)
    call.friction_notes = notes.strip()
    _move_to(call, Call.Step.RESOLUTION, now=now or timezone.now())
    call.save(update_fields=["friction_notes", "step", "step_times"])
    return call


@transaction.atomic
def call_resolution_record(call: Call, *, agent, offered: list[str], notes: str = "", resolved: str,
                           now: datetime | None = None) -> Call:
    """Step 3: what was offered for the frictions, and whether it resolved them."""
    call_owned_check(call, agent)
    if resolved not in Call.Resolved.values:
        raise ValidationError("Say whether the objection was resolved.", code="resolved")
    offered = [item.strip()[:300] for item in offered if item.strip()]
    if not offered and not notes.strip():
        raise ValidationError("Note what you offered: tick a suggestion, or write it under “Something else”.",
                              code="offered")
    call.offered, call.offer_notes, call.resolved = offered, notes.strip(), resolved
    _move_to(call, Call.Step.VALUE, now=now or timezone.now())
    call.save(update_fields=["offered", "offer_notes", "resolved", "step", "step_times"])
    return call


@transaction.atomic
def call_value_record(call: Call, *, agent, used: list[str], now: datetime | None = None) -> Call:
    """Step 4: the value points the agent used (may be none)."""
    call_owned_check(call, agent)
    call.value_points_used = [item.strip()[:300] for item in used if item.strip()]
    _move_to(call, Call.Step.COMPLETION, now=now or timezone.now())
    call.save(update_fields=["value_points_used", "step", "step_times"])
    return call


@transaction.atomic
def call_back_to(call: Call, *, agent, step: int, now: datetime | None = None) -> Call:
    """Go back to an earlier step to change an answer (the times of both visits are kept)."""
    call_owned_check(call, agent)
    if not Call.Step.OPENING <= step < call.step:
        raise ValidationError("You can only go back to a step you have done.", code="step")
    _move_to(call, step, now=now or timezone.now())
    call.save(update_fields=["step", "step_times"])
    return call


@transaction.atomic
def call_to_wrap_up(call: Call, *, agent, now: datetime | None = None) -> Call:
    call_owned_check(call, agent)
    now = now or timezone.now()
    _move_to(call, Call.Step.WRAP_UP, now=now)
    call.save(update_fields=["step", "step_times", "ended_at_step"])
    agent_status_set(agent, AgentProfile.Status.WRAP_UP, now=now)
    return call


@transaction.atomic
def call_end(call: Call, *, agent, now: datetime | None = None) -> Call:
    """"Call ended → wrap-up", at any step: the customer hung up (or the agent ends it) before the script was
    through. Keeps the step the call ended on, hangs up the line if it is still up, and goes to the wrap-up,
    where the outcome starts from what the line reported; the agent invents no friction, offer or outcome."""
    call_owned_check(call, agent)
    if not call.attempt_id:
        raise ValidationError("This call was not dialed: pass the cart instead.")
    if call.step >= Call.Step.WRAP_UP:
        raise ValidationError("This call is at its wrap-up already.")
    now = now or timezone.now()
    step = call.step
    call = call_line_hang_up(call, now=now)
    call.step = step  # the line's record reads the call afresh; the script's step is this one
    return call_to_wrap_up(call, agent=agent, now=now)


@transaction.atomic
def call_pass(call: Call, *, agent, now: datetime | None = None) -> Call:
    """Pass an undialed cart: the wrap-up starts as "not called (passed)", and the call can no longer be
    dialed (`call_dial` refuses)."""
    call_owned_check(call, agent)
    if call.attempt_id:
        raise ValidationError("This call was dialed: go through the wrap-up.")
    call.disposition = Call.Disposition.NOT_CALLED
    call.save(update_fields=["disposition"])
    return call_to_wrap_up(call, agent=agent, now=now)


@transaction.atomic
def call_wrap_up(call: Call, *, agent, disposition: str, notes: str = "", upsell_value: Decimal | None = None,
                 pass_reason: str = "", now: datetime | None = None) -> Call:
    """Close the call with its disposition: hangs up the line if it is still up, keeps the call's after-call
    work (the line's end to now; the talk time is the line's), finishes the attempt's record, gives the cart back
    to the queue (its cadence decides when it is called again; a passed cart is not handed back to this agent
    for a while) and makes the agent available."""
    call_owned_check(call, agent)
    if disposition not in Call.Disposition.values:
        raise ValidationError("Choose a disposition before taking the next cart.", code="disposition")
    if disposition == Call.Disposition.NOT_CALLED and call.attempt_id:
        raise ValidationError("This call was dialed: choose what happened on it.", code="disposition")
    if disposition != Call.Disposition.NOT_CALLED and not call.attempt_id:
        raise ValidationError("You have not dialed this customer: dial first, or pass the cart (not called).",
                              code="disposition")
    if disposition == Call.Disposition.NOT_CALLED:
        _pass_reason_check(pass_reason, notes)
    if upsell_value is not None and upsell_value < 0:
        raise ValidationError("The upsell value cannot be negative.", code="upsell_value")
    now = now or timezone.now()
    ended_before = call.ended_at if call.line_ended else None
    step, step_times = call.step, call.step_times
    call = call_line_hang_up(call, now=now)
    call.step, call.step_times = step, step_times  # the line's record reads the call afresh
    call.disposition, call.notes, call.wrapped_up_at = disposition, notes.strip(), now
    call.pass_reason = pass_reason if disposition == Call.Disposition.NOT_CALLED else ""
    if call.attempt_id:
        call.after_call_seconds = max(0, int((now - ended_before).total_seconds())) if ended_before else 0
    if upsell_value is not None:
        call.upsell_value = upsell_value
    _move_to(call, Call.Step.DONE, now=now)
    call.save(update_fields=["disposition", "notes", "wrapped_up_at", "upsell_value", "step", "step_times",
                             "pass_reason", "after_call_seconds"])
    if call.attempt is not None:
        contact_attempt_finish(attempt=call.attempt, outcome=disposition,
                               duration_seconds=call.duration_seconds or call.attempt.duration_seconds)
    if disposition == Call.Disposition.NOT_CALLED:
        cart_pass(agent=agent, cart_id=call.cart_id, now=now)
    else:
        cart_release(agent=agent, cart_id=call.cart_id)
    agent_status_set(agent, AgentProfile.Status.AVAILABLE, now=now)
    return call


def _pass_reason_check(pass_reason: str, notes: str) -> None:
    """A pass names its reason from the short list; "Other" says it in a note."""
    if pass_reason not in Call.PassReason.values:
        raise ValidationError("Pick why you pass this cart.", code="pass_reason")
    if pass_reason == Call.PassReason.OTHER and not notes.strip():
        raise ValidationError("Say in a note why you pass this cart (you picked “Other”).", code="notes")
