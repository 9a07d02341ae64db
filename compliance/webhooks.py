"""`POST /webhooks/twilio/sms/` (inbound texts) and `POST /webhooks/twilio/sms/status/` (delivery
reports for the texts we sent), both signed by Twilio.

The signature is checked once for every Twilio webhook (`integrations.twilio.signatures`); anything unsigned or
wrongly signed is refused with 403.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from compliance.services.delivery import attempt_delivery_status_record
from compliance.services.inbound import InboundSidMissing, inbound_sms_handle
from integrations.twilio.signatures import public_url, signed_by_twilio

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def twilio_sms_webhook(request: HttpRequest) -> HttpResponse:
    """An inbound text: stored once per MessageSid and applied then; a replayed copy is answered and ignored."""
    if not signed_by_twilio(request):
        logger.warning("Twilio SMS webhook refused: missing or invalid signature for %s", public_url(request))
        return HttpResponse("Invalid Twilio signature.", status=403, content_type="text/plain")
    num_media = request.POST.get("NumMedia", "")
    try:
        result = inbound_sms_handle(
            message_sid=request.POST.get("MessageSid", ""), from_number=request.POST.get("From", ""),
            body=request.POST.get("Body", ""), num_media=int(num_media) if num_media.isdigit() else 0,
        )
    except InboundSidMissing as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain")
    twiml = MessagingResponse()  # a replay gets this empty answer: Twilio already had the first one
    if result.reply:
        twiml.message(result.reply)
    return HttpResponse(str(twiml), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_sms_status_webhook(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback for a text we sent: update the attempt; unknown messages are ignored."""
    if not signed_by_twilio(request):
        logger.warning("Twilio status callback refused: missing or invalid signature for %s", public_url(request))
        return HttpResponse("Invalid Twilio signature.", status=403, content_type="text/plain")
    attempt_delivery_status_record(
        provider_id=request.POST.get("MessageSid", ""), status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""), error_message=request.POST.get("ErrorMessage", ""),
    )
    return HttpResponse(status=204)
