"""The call console: the agent's home, the cart screen with the five-step script, the line, the wrap-up.

Views are thin: they parse the form, call a service in `agents.services`, and render the partial
that replaces the step in place (HTMX), or the whole page for a plain request.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agents import selectors
from agents.models import AgentProfile, Call
from agents.services import HourlyLimitReached, WrapUpRequired
from agents.services.calls import (
    agent_status_set,
    call_answer_record,
    call_back_to,
    call_dial,
    call_frictions_record,
    call_resolution_record,
    call_take_next,
    call_to_wrap_up,
    call_value_record,
    call_wrap_up,
    open_call_for,
)
from agents.services.completion import call_callback_book, call_invoice_create, call_link_send, call_paid_by_phone
from agents.services.line import offline_line_advance, offline_line_hang_up, offline_line_start
from compliance.models.choices import ConsentBasis
from compliance.services.trail import audit_view
from core import access as roles
from integrations.twilio import voice as telephony
from recovery.services.money import money

agent_only = roles.role_required(roles.AGENT, roles.SUPERVISOR, roles.ADMIN)

STEP_TEMPLATES = {
    Call.Step.OPENING: "agents/console/steps/opening.html",
    Call.Step.FRICTION: "agents/console/steps/friction.html",
    Call.Step.RESOLUTION: "agents/console/steps/resolution.html",
    Call.Step.VALUE: "agents/console/steps/value.html",
    Call.Step.COMPLETION: "agents/console/steps/completion.html",
    Call.Step.WRAP_UP: "agents/console/steps/wrap_up.html",
}


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that HTMX follows as a full page load."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@agent_only
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "profile": selectors.agent_profile(request.user),
        "day": selectors.agent_day(request.user),
        "callbacks": selectors.agent_callbacks(request.user),
        "open_call": open_call_for(request.user),
        "statuses": [(AgentProfile.Status.AVAILABLE, "Available"), (AgentProfile.Status.AWAY, "Away")],
    }
    return render(request, "agents/console/home.html", context)


@agent_only
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("status", "")
    if chosen not in (AgentProfile.Status.AVAILABLE, AgentProfile.Status.AWAY):
        messages.error(request, "Choose Available or Away.")
    elif open_call_for(request.user) is not None:
        messages.error(request, "Wrap up your open call first.")
    else:
        agent_status_set(request.user, chosen)
    return _redirect(request, reverse("console:home"))


@agent_only
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    try:
        call = call_take_next(request.user)
    except WrapUpRequired as exc:
        messages.error(request, exc.message)
        return _redirect(request, reverse("console:home"))
    except HourlyLimitReached as exc:
        messages.warning(request, exc.message)
        return _redirect(request, reverse("console:home"))
    if call is None:
        messages.info(request, "No cart may be called right now (the queue is empty, or everyone waiting is outside "
                               "calling hours or due later). Try again in a minute.")
        return _redirect(request, reverse("console:home"))
    return _redirect(request, reverse("console:call", args=[call.pk]))


def _call_or_404(request: HttpRequest, call_id: int) -> Call:
    call = selectors.call_for_agent(call_id, request.user)
    if call is None:
        raise Http404("No such call of yours.")
    return call


def _main_item(cart):
    """The product the script names: the one the customer was spending most on."""
    return max(cart.line_items.all(), key=lambda item: item.line_total, default=None)


def _step_context(call: Call, *, error: str = "", notice: str = "") -> dict:
    cart = call.cart
    context = {"call": call, "cart": cart, "customer": cart.customer, "error": error, "notice": notice,
               "money": money(cart.total_value, cart.currency), "first_item": _main_item(cart),
               "step_template": STEP_TEMPLATES.get(call.step),
               "steps": [choice for choice in Call.Step.choices if choice[0] <= Call.Step.WRAP_UP]}
    if call.step == Call.Step.OPENING:
        context["answers"] = Call.Answer.choices
    elif call.step == Call.Step.FRICTION:
        context["frictions"] = selectors.frictions()
        context["chosen"] = set(call.frictions.values_list("code", flat=True))
    elif call.step == Call.Step.RESOLUTION:
        context["suggestions"] = selectors.suggested_resolutions(call)
        context["chosen_frictions"] = list(call.frictions.all())
        context["resolved_choices"] = Call.Resolved.choices
    elif call.step == Call.Step.VALUE:
        context["value_points"] = selectors.value_points_for(cart)
    elif call.step == Call.Step.COMPLETION:
        context["callback_default"] = selectors.customer_callback_default(cart)
        context["clock"] = selectors.customer_clock(cart)
        context["draft_orders"] = list(call.draft_orders.all())
    elif call.step == Call.Step.WRAP_UP:
        context["dispositions"] = [choice for choice in Call.Disposition.choices
                                   if (choice[0] == Call.Disposition.NOT_CALLED) != bool(call.attempt_id)]
    return context


def _render_step(request: HttpRequest, call: Call, *, error: str = "", notice: str = "",
                 status: int = 200, history_changed: bool = False) -> HttpResponse:
    if call.step == Call.Step.DONE:
        return _redirect(request, reverse("console:home"))
    context = _step_context(call, error=error, notice=notice)
    if request.htmx and history_changed:  # a message went out or a payment came in: the side panel follows
        context.update(history=selectors.cart_history(call.cart), history_oob=True)
    if request.htmx:
        return render(request, "agents/console/_script.html", context, status=status)
    return _render_call_page(request, call, context, status=status)


def _render_call_page(request: HttpRequest, call: Call, step_context: dict, *, status: int = 200) -> HttpResponse:
    cart = call.cart
    compliance = selectors.call_gate_preview(cart)
    context = {
        **step_context,
        "history": selectors.cart_history(cart),
        "clock": selectors.customer_clock(cart),
        "compliance": compliance,
        "basis_label": ConsentBasis(compliance.basis).label if compliance and compliance.basis else "",
        "voice_mode": telephony.voice_mode(),
    }
    return render(request, "agents/console/call.html", context, status=status)


@agent_only
@require_GET
def call_page(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    if not call.is_open:
        messages.info(request, "That call is wrapped up.")
        return redirect("console:home")
    audit_view(request, subject_type="customer", subject_id=call.cart.customer_id,
               summary=f"Opened call {call.pk} on cart {call.cart_id}: the customer's details")
    return _render_call_page(request, call, _step_context(call))


def _decimal(value: str) -> Decimal | None:
    value = (value or "").strip().replace(",", "")
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValidationError(f"“{value}” is not an amount.") from exc


@agent_only
@require_POST
def step(request: HttpRequest, call_id: int) -> HttpResponse:
    """Submit the current step's form; answers with the next step's partial (or the same one and an error)."""
    call = _call_or_404(request, call_id)
    data, agent = request.POST, request.user
    try:
        if call.step == Call.Step.OPENING:
            call = call_answer_record(call, agent=agent, answer=data.get("answer", ""))
        elif call.step == Call.Step.FRICTION:
            call = call_frictions_record(call, agent=agent, codes=data.getlist("friction"),
                                         notes=data.get("notes", ""))
        elif call.step == Call.Step.RESOLUTION:
            offered = data.getlist("offered") + [data.get("other_offer", "")]
            call = call_resolution_record(call, agent=agent, offered=offered, notes=data.get("notes", ""),
                                          resolved=data.get("resolved", ""))
        elif call.step == Call.Step.VALUE:
            call = call_value_record(call, agent=agent, used=data.getlist("used"))
        elif call.step == Call.Step.COMPLETION:
            call = call_to_wrap_up(call, agent=agent)
        elif call.step == Call.Step.WRAP_UP:
            call = call_wrap_up(call, agent=agent, disposition=data.get("disposition", ""),
                                notes=data.get("notes", ""), upsell_value=_decimal(data.get("upsell_value", "")))
            if data.get("then") == "next":
                return take_next(request)
            return _redirect(request, reverse("console:home"))
    except ValidationError as exc:
        return _render_step(request, call, error=" ".join(exc.messages), status=422)
    return _render_step(request, call)


@agent_only
@require_POST
def pass_cart(request: HttpRequest, call_id: int) -> HttpResponse:
    """Not calling this cart after all (it looks wrong, a duplicate): straight to the wrap-up, with a reason."""
    call = _call_or_404(request, call_id)
    if call.attempt_id:
        return _render_step(request, call, error="This call was dialed: go through the wrap-up.", status=422)
    call = call_to_wrap_up(call, agent=request.user)
    return _render_step(request, call)


@agent_only
@require_POST
def back(request: HttpRequest, call_id: int, to_step: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    try:
        call = call_back_to(call, agent=request.user, step=to_step)
    except ValidationError as exc:
        return _render_step(request, call, error=" ".join(exc.messages), status=422)
    return _render_step(request, call)


@agent_only
@require_POST
def send_link(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    channel = request.POST.get("channel", "")
    try:
        result = call_link_send(call, agent=request.user, channel=channel)
    except ValidationError as exc:
        return _render_step(request, call, error=" ".join(exc.messages), status=422)
    how = "text" if channel == "sms" else "email"
    if result.sent:
        return _render_step(request, call, notice=f"Checkout link sent by {how}.", history_changed=True)
    reason = result.error or " ".join(result.decision.explanations if result.decision else ())
    return _render_step(request, call, error=f"The link was not sent by {how}: {reason}", status=422)


@agent_only
@require_POST
def invoice(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    try:
        draft = call_invoice_create(call, agent=request.user, amount=_decimal(request.POST.get("amount", "")),
                                    note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _render_step(request, call, error=" ".join(exc.messages), status=422)
    return _render_step(request, call, notice=f"Invoice {draft.pk} created for {draft.amount} {draft.currency}; "
                                              "send the payment link by text or email.")


@agent_only
@require_POST
def paid(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    try:
        call = call_paid_by_phone(call, agent=request.user, amount=_decimal(request.POST.get("amount", "")),
                                  reference=request.POST.get("reference", ""))
    except ValidationError as exc:
        return _render_step(request, call, error=" ".join(exc.messages), status=422)
    return _render_step(request, call, notice="Payment recorded; the cart is recovered.", history_changed=True)


@agent_only
@require_POST
def callback(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    try:
        # A wall-clock time in the customer's zone; callback_schedule makes it aware.
        when = datetime.strptime(request.POST.get("local_time", ""), "%Y-%m-%dT%H:%M")  # noqa: DTZ007
    except ValueError:
        return _render_step(request, call, error="Give the callback's date and time.", status=422)
    try:
        booked = call_callback_book(call, agent=request.user, local_time=when,
                                    customer_timezone=request.POST.get("timezone", ""))
    except (ValidationError, ValueError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else "Unknown time zone."
        return _render_step(request, call, error=text, status=422)
    call.refresh_from_db()
    return _render_step(request, call, notice=f"Callback booked for {booked.local_time} ({booked.customer_timezone}).")


def _line(request: HttpRequest, call: Call, *, error: str = "") -> HttpResponse:
    context = {"call": call, "line_error": error, "voice_mode": telephony.voice_mode()}
    return render(request, "agents/console/_line.html", context, status=422 if error else 200)


@agent_only
@require_POST
def dial(request: HttpRequest, call_id: int) -> HttpResponse:
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
def line(request: HttpRequest, call_id: int) -> HttpResponse:
    """The line's state. A GET only shows it (a prefetch, a reload or a crawler changes nothing); the offline
    backend's simulated customer rings and answers on the console's POST poll, as Twilio's callbacks would."""
    call = _call_or_404(request, call_id)
    if request.method == "POST" and telephony.voice_mode() == "offline":
        call = offline_line_advance(call)
    return _line(request, call)


@agent_only
@require_POST
def hang_up(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call_or_404(request, call_id)
    return _line(request, offline_line_hang_up(call) if telephony.voice_mode() == "offline" else call)


@agent_only
@require_GET
def voice_token(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(telephony.voice_token(request.user))
    response["Cache-Control"] = "no-store"
    return response
