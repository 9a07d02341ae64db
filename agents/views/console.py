"""The call console: the agent's home, the cart screen with the five-step script, the line, the wrap-up.

Views are thin: the registry in `agents.console_steps` says, for the call's step or the action posted, which form
parses the input, which service in `agents.services` saves it and which template shows the step; the views render
the partial that replaces the step in place (htmx), or the whole page for a plain request. `refused` is the one
answer to a refusal: the step again, the reason, what was typed (never a card number), status 422.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents import selectors
from agents.console_forms import ConsoleForm, NoticeDismissForm, StatusForm
from agents.console_steps import ACTIONS, STEPS
from agents.http import HtmxHttpRequest, redirect_page, wants_fragment
from agents.models import Call
from agents.services import HourlyLimitReached, WrapUpRequired
from agents.services.calls import agent_status_set, call_back_to, call_dial, call_take_next, open_call_for
from agents.services.completion import looks_like_card_number
from agents.services.duty import agent_work_stop
from agents.services.floor import agent_notice_dismiss
from agents.services.line import offline_line_advance, offline_line_hang_up, offline_line_start
from compliance.models.choices import ConsentBasis
from compliance.services import check_contact
from compliance.services.trail import audit_view
from core import access as roles
from integrations.twilio import voice as telephony
from recovery.services.money import money

agent_only = roles.role_required(roles.AGENT, roles.SUPERVISOR, roles.ADMIN)


@agent_only
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        "profile": selectors.agent_profile(request.user),
        "day": selectors.agent_day(request.user),
        "callbacks": selectors.agent_callbacks(request.user),
        "open_call": open_call_for(request.user),
        "away_reasons": StatusForm.base_fields["reason"].choices,
        "notices": selectors.agent_notices_open(request.user),
    }
    return render(request, "agents/console/home.html", context)


@agent_only
@require_POST
def status(request: HtmxHttpRequest) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_text())
    elif open_call_for(request.user) is not None:
        messages.error(request, "Wrap up your open call first.")
    else:
        agent_status_set(request.user, form.cleaned_data["status"], reason=form.cleaned_data["reason"])
    return redirect_page(request, reverse("console:home"))


@agent_only
@require_GET
def notices(request: HtmxHttpRequest) -> HttpResponse:
    """The agent's notices from the floor (a supervisor's word, a cart handed to them): the console polls it."""
    return render(request, "agents/console/_notices.html", {"notices": selectors.agent_notices_open(request.user)})


@agent_only
@require_POST
def notice_dismiss(request: HtmxHttpRequest) -> HttpResponse:
    """The agent read a notice: it leaves the console."""
    form = NoticeDismissForm(request.POST)
    error = form.error_text() if not form.is_valid() else ""
    if not error and not agent_notice_dismiss(notice_id=form.cleaned_data["notice"], agent=request.user):
        error = "That notice is gone."
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        return redirect_page(request, reverse("console:home"))
    context = {"notices": selectors.agent_notices_open(request.user), "notice_error": error}
    return render(request, "agents/console/_notices.html", context, status=422 if error else 200)


@agent_only
@require_POST
def take_next(request: HtmxHttpRequest) -> HttpResponse:
    try:
        call = call_take_next(request.user)
    except WrapUpRequired as exc:
        messages.error(request, exc.message)
        return redirect_page(request, reverse("console:home"))
    except HourlyLimitReached as exc:
        messages.warning(request, exc.message)
        return redirect_page(request, reverse("console:home"))
    if call is None:
        messages.info(request, "No cart may be called right now (the queue is empty, or everyone waiting is outside "
                               "calling hours or due later). Try again in a minute.")
        return redirect_page(request, reverse("console:home"))
    return redirect_page(request, reverse("console:call", args=[call.pk]))


def _call_or_404(request: HtmxHttpRequest, call_id: int) -> Call:
    call = selectors.call_for_agent(call_id, request.user)
    if call is None:
        raise Http404("No such call of yours.")
    return call


def _step_context(call: Call, *, error: str = "", notice: str = "",
                  typed: tuple[str, ConsoleForm] | None = None) -> dict:
    """What the step's template needs, from the registry: its context, its form and its actions' forms (each
    `<key>_form`, starting from the call's answers; `typed` replaces one with what the agent typed)."""
    cart, entry = call.cart, STEPS.get(call.step)
    context = {"call": call, "cart": cart, "customer": cart.customer, "error": error, "notice": notice,
               "money": money(cart.total_value, cart.currency), "first_item": selectors.main_item(cart),
               "lines": selectors.script_lines(cart, call.agent),
               "steps": [(step.key, step.title) for step in STEPS.values()]}
    if entry is None:
        return context
    context.update(entry.context(call), step_template=entry.template, back_to=entry.back_to(call))
    context["step_form"] = entry.form_class(initial=entry.initial(call, context), call=call)
    for action in (ACTIONS[name] for name in entry.actions):
        context[f"{action.form_key}_form"] = action.form_class(initial=action.initial(call, context), call=call,
                                                              key=action.form_key)
    if typed is not None:
        context[f"{typed[0]}_form"] = typed[1]
    return context


def _render_step(request: HtmxHttpRequest, call: Call, *, error: str = "", notice: str = "", status: int = 200,
                 history_changed: bool = False, line_changed: bool = False,
                 typed: tuple[str, ConsoleForm] | None = None) -> HttpResponse:
    """The step the call is at: the script's fragment for htmx, else the whole cart screen; a call that is
    done sends the agent home, saying so (only a screen left open on a wrapped-up call gets here). The fragment
    brings along, out of band, what changed beside the script: the cart's history, the line's block, and the
    compliance status once the customer opted out on the call."""
    if call.step == Call.Step.DONE:
        messages.info(request, "That call is already wrapped up.")
        return redirect_page(request, reverse("console:home"))
    context = _step_context(call, error=error, notice=notice, typed=typed)
    if not wants_fragment(request):
        return _render_call_page(request, call, context, status=status)
    if history_changed:  # a message went out or a payment came in: the side panel follows
        context.update(history=selectors.cart_history(call.cart), history_oob=True)
    if line_changed:  # hung up, or dialing closed after a pass
        context.update(line_oob=True, **_line_context(call))
    if call.answer == Call.Answer.OPT_OUT:  # its effect shows at once, without a reload
        context.update(_compliance_context(call), compliance_oob=True)
    return render(request, "agents/console/_script.html", context, status=status)


def _without_card_numbers(data: QueryDict) -> QueryDict:
    """The posted values with any card-like one blanked: a card number is never shown back on screen."""
    cleaned = data.copy()
    for key, values in data.lists():
        cleaned.setlist(key, ["" if looks_like_card_number(value) else value for value in values])
    return cleaned


def refused(request: HtmxHttpRequest, call: Call, error: ValidationError, *, form_key: str | None = None,
            form: ConsoleForm | None = None, line_changed: bool = False) -> HttpResponse:
    """The one answer to a refused input: the call's step again, status 422, and the refused form
    (`<form_key>_form`) showing what the agent typed, except card-like values, which are cleared, with the
    reason next to the field it is about (or beside the form's buttons). A refusal with no form on the step
    to show it (going back, a pass from the line) is said at the top of the step."""
    typed, shown_by_form = None, False
    if form_key and form is not None:
        if not form.errors:  # the form was valid: the service (or the gate) refused
            form.add_refusal(error)
        form.data = _without_card_numbers(form.data)
        typed = (form_key, form)
        entry = STEPS.get(call.step)
        shown_by_form = entry is not None and (form_key == "step" or form_key in
                                               (ACTIONS[name].form_key for name in entry.actions))
    return _render_step(request, call, error="" if shown_by_form else " ".join(error.messages), status=422,
                        line_changed=line_changed, typed=typed)


def _render_call_page(request: HtmxHttpRequest, call: Call, step_context: dict, *,
                      status: int = 200) -> HttpResponse:
    cart = call.cart
    context = {
        **step_context,
        **_compliance_context(call),
        "history": selectors.cart_history(cart),
        **_line_context(call),
        "clock": selectors.customer_clock(cart),
        "notices": selectors.agent_notices_open(request.user),
    }
    return render(request, "agents/console/call.html", context, status=status)


def _compliance_context(call: Call) -> dict:
    """The compliance panel's facts: the gate's answer now, and when the customer opted out on this call."""
    compliance = _call_gate_preview(call.cart)
    return {"compliance": compliance,
            "basis_label": ConsentBasis(compliance.basis).label if compliance and compliance.basis else "",
            "opted_out_on_call_at": selectors.call_optout_at(call)}


def _call_gate_preview(cart):
    """What the gate would say about calling the cart's customer now; None when there is no number to call. The
    view asks the gate itself (a selector only reads), unaudited: showing the answer contacts nobody, and the dial
    asks the gate again, audited."""
    customer = cart.customer
    if customer is None or not customer.phone:
        return None
    return check_contact(channel="voice", store=cart.store, phone=str(customer.phone), customer=customer,
                         cart=cart, audit=False)


@agent_only
@require_GET
def call_page(request: HtmxHttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    if not call.is_open:
        messages.info(request, "That call is wrapped up.")
        return redirect("console:home")
    audit_view(request, subject_type="customer", subject_id=call.cart.customer_id,
               summary=f"Opened call {call.pk} on cart {call.cart_id}: the customer's details")
    return _render_call_page(request, call, _step_context(call))


@agent_only
@require_POST
def step(request: HtmxHttpRequest, call_id: int) -> HttpResponse:
    """Submit the current step's form; answers with the next step's partial (or the same one and an error).
    After the wrap-up: home, or straight to the next cart."""
    call = _call_or_404(request, call_id)
    entry = STEPS.get(call.step)
    if entry is None:  # wrapped up already
        return _render_step(request, call)
    form = entry.form_class(request.POST, call=call)
    try:
        call = entry.submit(call, agent=request.user, form=form)
    except ValidationError as exc:
        return refused(request, call, exc, form_key="step", form=form)
    if call.step == Call.Step.DONE:
        if form.cleaned_data.get("then") == "next":
            return take_next(request)
        agent_work_stop(user=request.user)  # "Save and stop": away, so the floor does not flag them idle
        return redirect_page(request, reverse("console:home"))
    return _render_step(request, call)


@agent_only
@require_POST
def step_action(request: HtmxHttpRequest, call_id: int, action: str) -> HttpResponse:
    """An action inside a step (see `ACTIONS`: the link, an invoice, a payment, a callback, a pass); answers
    with the step the call is then at and the action's sentence, or the refusal."""
    call, entry = _call_or_404(request, call_id), ACTIONS[action]
    form = entry.form_class(request.POST, call=call, key=entry.form_key)
    try:
        outcome = entry.perform(call, agent=request.user, form=form)
    except ValidationError as exc:
        return refused(request, call, exc, form_key=entry.form_key, form=form, line_changed=entry.from_line)
    return _render_step(request, outcome.call, notice=outcome.notice, history_changed=outcome.history_changed,
                        line_changed=outcome.line_changed or entry.from_line)


@agent_only
@require_POST
def back(request: HtmxHttpRequest, call_id: int, to_step: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    try:
        call = call_back_to(call, agent=request.user, step=to_step)
    except ValidationError as exc:
        return refused(request, call, exc)
    return _render_step(request, call)


def _line_context(call: Call) -> dict:
    """What the line's block needs besides the call: the voice mode, and the talk timer's seconds so far, from
    the server's clock (the browser's may be off; console.js counts on from there)."""
    return {"voice_mode": telephony.voice_mode(),
            "talk_elapsed": selectors.elapsed_seconds(call.answered_at, call.ended_at)}


def _line(request: HtmxHttpRequest, call: Call, *, error: str = "") -> HttpResponse:
    context = {"call": call, "line_error": error, "line_fragment": True, **_line_context(call)}
    return render(request, "agents/console/_line.html", context, status=422 if error else 200)


@agent_only
@require_POST
def dial(request: HtmxHttpRequest, call_id: int) -> HttpResponse:
    """Offline mode's dial (with Twilio, the browser connects and the voice webhook asks the gate)."""
    call = _call_or_404(request, call_id)
    if telephony.voice_mode() == "unconfigured":
        return _line(request, call, error=telephony.UNCONFIGURED_SENTENCE)
    if telephony.voice_mode() != "offline":
        return _line(request, call, error="Calls go through the browser phone; reload the page.")
    if call.attempt_id:
        return _line(request, call, error="This call has been dialed already.")
    try:
        decision = call_dial(call, agent=request.user)
    except ValidationError as exc:
        return _line(request, call, error=" ".join(exc.messages))
    if not decision.allowed:
        return _line(request, call, error="Not allowed now: " + " ".join(decision.explanations))
    return _line(request, offline_line_start(call))


@agent_only
@require_http_methods(["GET", "POST"])
def line(request: HtmxHttpRequest, call_id: int) -> HttpResponse:
    """The line's state. A GET only shows it (a prefetch, a reload or a crawler changes nothing); the offline
    backend's simulated customer rings and answers on the console's POST poll, as Twilio's callbacks would."""
    call = _call_or_404(request, call_id)
    if request.method == "POST" and telephony.voice_mode() == "offline":
        call = offline_line_advance(call)
    return _line(request, call)


@agent_only
@require_POST
def hang_up(request: HtmxHttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    return _line(request, offline_line_hang_up(call) if telephony.voice_mode() == "offline" else call)


@agent_only
@require_GET
def voice_token(request: HtmxHttpRequest) -> JsonResponse:
    response = JsonResponse(telephony.voice_token(request.user))
    response["Cache-Control"] = "no-store"
    return response
