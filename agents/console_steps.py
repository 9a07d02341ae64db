"""The call script as data: each step of the console and each action taken within a step, in one registry.

`STEPS` (in the script's order) gives, for every step of a call, its template, its form, the service that saves
it, where the script goes next, what the template needs, the values its form starts from and where "← Back"
leads. `ACTIONS` gives, for every action inside a step (text or email the link, an invoice, a payment taken by
phone, a callback, passing the cart), its URL, its form, its service and the sentence shown when it is done.

The console's views (`agents.views.console`) only read these: the view that shows a step and the view that saves
it cannot drift apart, and a new step or action (a "Call ended → wrap-up" button at every step, say) is one entry
here, its form in `agents.console_forms` and its button in a template; the URL, the view, the refusal on screen
and the typed values kept come with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from agents import selectors
from agents.console_forms import (
    CallbackForm,
    CompletionForm,
    ConsoleForm,
    EndForm,
    FrictionForm,
    InvoiceForm,
    LinkForm,
    OpeningForm,
    PaidForm,
    PassForm,
    ResolutionForm,
    ValueForm,
    WrapUpForm,
)
from agents.models import Call, Callback, DraftOrder
from agents.services.calls import (
    call_answer_record,
    call_end,
    call_frictions_record,
    call_pass,
    call_resolution_record,
    call_to_wrap_up,
    call_value_record,
    call_wrap_up,
)
from agents.services.completion import (
    LinkResult,
    call_callback_book,
    call_invoice_create,
    call_link_send,
    call_paid_by_phone,
)
from compliance.models import Channel

Context = dict[str, Any]


def _no_context(call: Call) -> Context:
    return {}


def _blank(call: Call, context: Context) -> Context:
    return {}


def _no_back(call: Call) -> int | None:
    return None


@dataclass(frozen=True)
class Outcome:
    """What a step action leaves: the call as it now stands, the sentence to show, and whether the cart's
    history (the side panel) changed with it."""

    call: Call
    notice: str = ""
    history_changed: bool = False
    line_changed: bool = False  # the line's block follows (hung up; dialing closed after a pass)


def _as_is(call: Call, result: Call, form: ConsoleForm) -> Outcome:
    """The outcome of a service that returns the call and has nothing to say (passing a cart)."""
    return Outcome(result)


def _submit(form: ConsoleForm, service: Callable[..., Any], call: Call, agent) -> Any:
    """Validate the form, then call the service with its arguments; either refusal raises ValidationError with
    the sentence the agent sees."""
    if not form.is_valid():
        raise ValidationError(form.error_text())
    return service(call, agent=agent, **form.service_arguments())


@dataclass(frozen=True)
class Step:
    """One step of the script. `service(call, agent=..., **form.service_arguments())` saves it and moves the call
    on (to `next_step`, or further: the opening may jump to the completion or the wrap-up)."""

    key: int  # a Call.Step
    template: str
    form_class: type[ConsoleForm]
    service: Callable[..., Call]
    next_step: int
    context: Callable[[Call], Context] = _no_context
    initial: Callable[[Call, Context], Context] = _blank  # what the form shows before anything is typed
    back_to: Callable[[Call], int | None] = _no_back
    actions: tuple[str, ...] = ()  # the ACTIONS whose forms this step's template shows

    @property
    def title(self) -> str:
        return Call.Step(self.key).label

    def submit(self, call: Call, *, agent, form: ConsoleForm) -> Call:
        return _submit(form, self.service, call, agent)


@dataclass(frozen=True)
class Action:
    """An action inside a step, posted to `calls/<id>/<path>/` (URL name `console:<name>`); its form shows in the
    step's template as `<form_key>_form`. `outcome` turns the service's result into what the agent sees; it may
    refuse (a link the gate did not let out)."""

    name: str
    path: str
    form_class: type[ConsoleForm]
    service: Callable[..., Any]
    outcome: Callable[[Call, Any, ConsoleForm], Outcome] = _as_is
    initial: Callable[[Call, Context], Context] = _blank
    from_line: bool = False  # posted from the line's block (a pass): the answer redraws the line too

    @property
    def form_key(self) -> str:
        return self.name.replace("-", "_")

    def perform(self, call: Call, *, agent, form: ConsoleForm) -> Outcome:
        return self.outcome(call, _submit(form, self.service, call, agent), form)


def _friction_context(call: Call) -> Context:
    return {"frictions": selectors.frictions(call.cart.store_id)}


def _friction_initial(call: Call, context: Context) -> Context:
    return {"friction": list(call.frictions.values_list("code", flat=True)), "notes": call.friction_notes}


def _resolution_context(call: Call) -> Context:
    return {"suggestions": selectors.suggested_resolutions(call), "chosen_frictions": list(call.frictions.all()),
            "resolved_choices": Call.Resolved.choices}


def _completion_context(call: Call) -> Context:
    return {"callback_default": selectors.customer_callback_default(call.cart),
            "clock": selectors.customer_clock(call.cart), "draft_orders": list(call.draft_orders.all())}


def _wrap_up_context(call: Call) -> Context:
    """A dialed call ends with what happened on it; an undialed one only as passed, for a reason from a short
    list. The after-call work timer runs from the line's end (`after_call_seconds`, kept at the save)."""
    return {"dispositions": [choice for choice in Call.Disposition.choices
                             if (choice[0] == Call.Disposition.NOT_CALLED) != bool(call.attempt_id)],
            "pass_reasons": Call.PassReason.choices,
            # "ended at step N" where that tells something: not after an opening answer that ends every call
            "ended_early": (call.ended_at_step or Call.Step.COMPLETION) < Call.Step.COMPLETION
                           and not (call.ended_at_step == Call.Step.OPENING and call.answer),
            "wrap_up_elapsed": selectors.elapsed_seconds(selectors.after_call_since(call))}


def _wrap_up_initial(call: Call, context: Context) -> Context:
    """The disposition starts from what the call and its line already say (a link sent, a callback booked, no
    answer, a machine): the agent confirms it."""
    return {"disposition": selectors.wrap_up_disposition(call), "upsell_value": call.upsell_value,
            "notes": call.notes, "pass_reason": call.pass_reason}


STEPS: dict[int, Step] = {step.key: step for step in (
    Step(key=Call.Step.OPENING, template="agents/console/steps/opening.html", form_class=OpeningForm,
         service=call_answer_record, next_step=Call.Step.FRICTION,
         context=lambda call: {"answers": Call.Answer.choices},
         initial=lambda call, context: {"answer": call.answer or selectors.line_answer(call)}),
    Step(key=Call.Step.FRICTION, template="agents/console/steps/friction.html", form_class=FrictionForm,
         service=call_frictions_record, next_step=Call.Step.RESOLUTION,
         context=_friction_context, initial=_friction_initial, back_to=lambda call: Call.Step.OPENING),
    Step(key=Call.Step.RESOLUTION, template="agents/console/steps/resolution.html", form_class=ResolutionForm,
         service=call_resolution_record, next_step=Call.Step.VALUE, context=_resolution_context,
         initial=lambda call, context: {"offered": call.offered, "resolved": call.resolved,
                                        "notes": call.offer_notes},
         back_to=lambda call: Call.Step.FRICTION),
    Step(key=Call.Step.VALUE, template="agents/console/steps/value.html", form_class=ValueForm,
         service=call_value_record, next_step=Call.Step.COMPLETION,
         context=lambda call: {"value_points": selectors.value_points_for(call.cart)},
         initial=lambda call, context: {"used": call.value_points_used},
         back_to=lambda call: Call.Step.RESOLUTION),
    Step(key=Call.Step.COMPLETION, template="agents/console/steps/completion.html", form_class=CompletionForm,
         service=call_to_wrap_up, next_step=Call.Step.WRAP_UP, context=_completion_context,
         back_to=lambda call: Call.Step.VALUE if call.answer == Call.Answer.REACHED else None,
         actions=("send-link", "invoice", "paid", "callback")),
    Step(key=Call.Step.WRAP_UP, template="agents/console/steps/wrap_up.html", form_class=WrapUpForm,
         service=call_wrap_up, next_step=Call.Step.DONE, context=_wrap_up_context,
         initial=_wrap_up_initial,
         back_to=lambda call: (Call.Step.COMPLETION if call.answer in (Call.Answer.REACHED, Call.Answer.CALLBACK)
                               else None)),
)}


def _link_outcome(call: Call, result: LinkResult, form: ConsoleForm) -> Outcome:
    how = "text" if form.cleaned_data["channel"] == Channel.SMS else "email"
    if result.sent:
        return Outcome(call, notice=f"Checkout link sent by {how}.", history_changed=True)
    reason = result.error or " ".join(result.decision.explanations if result.decision else ())
    raise ValidationError(f"The link was not sent by {how}: {reason}")


def _invoice_outcome(call: Call, draft: DraftOrder, form: ConsoleForm) -> Outcome:
    return Outcome(call, notice=f"Invoice {draft.pk} created for {draft.amount} {draft.currency}; "
                                "send the payment link by text or email.")


def _callback_outcome(call: Call, booked: Callback, form: ConsoleForm) -> Outcome:
    call.refresh_from_db()
    return Outcome(call, notice=f"Callback booked for {booked.local_time} ({booked.customer_timezone}).")


def _callback_initial(call: Call, context: Context) -> Context:
    """Tomorrow at ten in the customer's time, in their zone (else the store's)."""
    default, clock = context.get("callback_default"), context.get("clock")
    return {"local_time": default.strftime("%Y-%m-%dT%H:%M") if default else "",
            "timezone": clock.timezone if clock else call.cart.store.timezone}


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action(name="send-link", path="link", form_class=LinkForm, service=call_link_send, outcome=_link_outcome),
    Action(name="invoice", path="invoice", form_class=InvoiceForm, service=call_invoice_create,
           outcome=_invoice_outcome, initial=lambda call, context: {"amount": call.cart.total_value}),
    Action(name="paid", path="paid", form_class=PaidForm, service=call_paid_by_phone,
           outcome=lambda call, result, form: Outcome(result, notice="Payment recorded; the cart is recovered.",
                                                history_changed=True),
           initial=lambda call, context: {"amount": call.cart.total_value}),
    Action(name="callback", path="callback", form_class=CallbackForm, service=call_callback_book,
           outcome=_callback_outcome, initial=_callback_initial),
    Action(name="pass", path="pass", form_class=PassForm, service=call_pass, from_line=True,
           outcome=lambda call, result, form: Outcome(result, notice="Passed: this cart will not be dialed. Pick "
                                                                     "why, then save.", line_changed=True)),
    Action(name="end", path="end", form_class=EndForm, service=call_end,
           outcome=lambda call, result, form: Outcome(result, line_changed=True)),
)}
