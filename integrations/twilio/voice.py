"""Browser calling through Twilio's Voice JavaScript SDK, or an offline simulation without credentials.

The browser never decides whom to call: it connects with the id of the agent's open call, and
the voice webhook (`POST /webhooks/twilio/voice/`) asks the compliance gate and dials the
customer's number on file, or answers with TwiML that refuses.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from integrations.twilio.signatures import public_url_for

IDENTITY_PREFIX = "agent-"
logger = logging.getLogger(__name__)


UNCONFIGURED_SENTENCE = ("Calling is not configured: no one can be dialed. An administrator sets the Twilio voice "
                         "credentials (or VOICE_BACKEND=offline to simulate calls).")


def voice_mode() -> str:
    """"twilio" when every credential for browser calling is set; else "offline" (the simulated line) where the
    settings allow it (development, tests, production with VOICE_BACKEND=offline), or "unconfigured": production
    never pretends a call was placed."""
    needed = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_KEY,
              settings.TWILIO_API_SECRET, settings.TWILIO_TWIML_APP_SID)
    if all(needed):
        return "twilio"
    return "offline" if settings.VOICE_OFFLINE_SIMULATION else "unconfigured"


def agent_identity(agent) -> str:
    return f"{IDENTITY_PREFIX}{agent.pk}"


def agent_pk_from_identity(value: str) -> int | None:
    """The agent's id from Twilio's `From` ("client:agent-12"), or None."""
    identity = value.removeprefix("client:")
    if not identity.startswith(IDENTITY_PREFIX):
        return None
    number = identity.removeprefix(IDENTITY_PREFIX)
    return int(number) if number.isdigit() else None


def voice_token(agent) -> dict:
    """A short-lived access token with a VoiceGrant (outgoing only) for the signed-in agent."""
    mode = voice_mode()
    if mode != "twilio":
        return {"mode": mode}
    from twilio.jwt.access_token import AccessToken
    from twilio.jwt.access_token.grants import VoiceGrant

    token = AccessToken(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_API_KEY, settings.TWILIO_API_SECRET,
                        identity=agent_identity(agent), ttl=settings.VOICE_TOKEN_TTL_SECONDS)
    token.add_grant(VoiceGrant(outgoing_application_sid=settings.TWILIO_TWIML_APP_SID, incoming_allow=False))
    return {"mode": "twilio", "token": token.to_jwt(), "identity": agent_identity(agent),
            "ttl": settings.VOICE_TOKEN_TTL_SECONDS}


def status_callback_url(request) -> str:
    return public_url_for(request, reverse("webhook-twilio-voice-status"))


def twiml_dial(*, phone: str, caller_id: str, status_url: str) -> str:
    """Dial the customer from the browser leg, with machine detection and every progress event reported."""
    response = VoiceResponse()
    dial = Dial(caller_id=caller_id or None, answer_on_bridge=True, timeout=30)
    dial.number(phone, status_callback=status_url, status_callback_method="POST",
                status_callback_event="initiated ringing answered completed", machine_detection="Enable")
    response.append(dial)
    return str(response)


def twiml_refuse(sentence: str) -> str:
    response = VoiceResponse()
    response.say(f"This call cannot be placed. {sentence}")
    response.hangup()
    return str(response)


def hang_up(call_sid: str) -> bool:
    """End a call in progress through Twilio's REST API (`Calls(sid).update(status="completed")`): the browser's
    leg, whose end ends the dialed customer's leg too. False when Twilio refused (a call already over is one):
    the line's status callbacks stay the record of how the call ended."""
    client = Client(settings.TWILIO_API_KEY, settings.TWILIO_API_SECRET, settings.TWILIO_ACCOUNT_SID)
    try:
        client.calls(call_sid).update(status="completed")
    except (TwilioException, OSError) as exc:  # refused, or unreachable: the agent's screen is not held up
        logger.warning("Twilio did not hang up call %s: %s", call_sid, exc)
        return False
    return True
