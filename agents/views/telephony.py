"""Twilio's voice webhooks: `POST /webhooks/twilio/voice/` (the browser's call: gate, then dial or refuse)
and `POST /webhooks/twilio/voice/status/` (the customer leg's progress). Both are signature-checked."""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agents.models import Call
from agents.services.calls import call_dial
from agents.services.line import call_for_provider_sid, call_line_record
from integrations.twilio import voice as telephony
from integrations.twilio.signatures import public_url, signed_by_twilio

logger = logging.getLogger(__name__)


def _twiml(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_voice_webhook(request: HttpRequest) -> HttpResponse:
    """The TwiML App's Voice URL: the agent's browser asked to connect their open call.

    Whatever number the browser sends (`To`) is ignored: the customer's number on file is the only one
    dialed, and only when the compliance gate allows it now.
    """
    if not signed_by_twilio(request):
        logger.warning("Twilio voice webhook refused: missing or invalid signature for %s", public_url(request))
        return HttpResponse("Invalid Twilio signature.", status=403, content_type="text/plain")
    agent_pk = telephony.agent_pk_from_identity(request.POST.get("From", ""))
    call_id = request.POST.get("call_id", "")
    call = None
    if agent_pk is not None and call_id.isdigit():
        call = (Call.objects.select_related("cart__store", "cart__customer", "agent")
                .filter(pk=int(call_id), agent_id=agent_pk, wrapped_up_at__isnull=True).first())
    if call is None:
        return _twiml(telephony.twiml_refuse("There is no open call for this agent."))
    if call.attempt_id:
        return _twiml(telephony.twiml_refuse("This call was dialed already; wrap it up and take the next cart."))
    try:
        decision = call_dial(call, agent=call.agent)
    except ValidationError as exc:  # a passed cart: the agent chose not to call it
        return _twiml(telephony.twiml_refuse(" ".join(exc.messages)))
    if not decision.allowed:
        return _twiml(telephony.twiml_refuse(" ".join(decision.explanations)))
    Call.objects.filter(pk=call.pk).update(provider_sid=request.POST.get("CallSid", "")[:64])
    return _twiml(telephony.twiml_dial(phone=str(call.cart.customer.phone), caller_id=settings.TWILIO_FROM_NUMBER,
                                       status_url=telephony.status_callback_url(request)))


@csrf_exempt
@require_POST
def twilio_voice_status_webhook(request: HttpRequest) -> HttpResponse:
    """Progress of the customer's leg: ringing, answered (and by whom), completed with its duration."""
    if not signed_by_twilio(request):
        logger.warning("Twilio voice status refused: missing or invalid signature for %s", public_url(request))
        return HttpResponse("Invalid Twilio signature.", status=403, content_type="text/plain")
    data = request.POST
    call = call_for_provider_sid(data.get("ParentCallSid", "")) or call_for_provider_sid(data.get("CallSid", ""))
    if call is not None:
        try:
            at = parsedate_to_datetime(data["Timestamp"]) if data.get("Timestamp") else None
        except (TypeError, ValueError):
            at = None
        duration = data.get("CallDuration", "")
        call_line_record(call, status=data.get("CallStatus", ""), at=at,
                         duration=int(duration) if duration.isdigit() else None,
                         answered_by=data.get("AnsweredBy", ""))
    return HttpResponse(status=204)
