"""Browser calling: the access token, the voice webhook (the gate decides, server-side) and status callbacks,
with requests signed the way Twilio signs them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from agents.models import Call
from compliance.models import ContactAttempt
from tests.agents.helpers import NOW
from tests.factories import add_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("national")]  # every test has a fresh national list
TOKEN = "twilio-test-auth-token"
BASE = "https://recovery.example.com"
PARENT_SID = "CA" + "1" * 32
CHILD_SID = "CA" + "2" * 32


@pytest.fixture(autouse=True)
def twilio(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, TOKEN
    settings.TWILIO_API_KEY, settings.TWILIO_API_SECRET = "SK" + "0" * 32, "an-api-secret-of-at-least-32-bytes!"
    settings.TWILIO_TWIML_APP_SID, settings.TWILIO_FROM_NUMBER = "AP" + "0" * 32, "+18005550199"
    settings.PUBLIC_BASE_URL = BASE
    with time_machine.travel(NOW, tick=False):
        yield settings


@pytest.fixture
def open_call(client, agent_user, cart):
    client.force_login(agent_user)
    client.post("/agent/next/")
    return Call.objects.get(agent=agent_user)


def signed_post(client, path: str, params: dict, *, token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, params)
    return client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def voice_request(call: Call, *, to: str = "+12125550181") -> dict:
    """What Twilio posts to the TwiML App's Voice URL when the browser's Device.connect() runs."""
    return {"AccountSid": "AC" + "0" * 32, "ApplicationSid": "AP" + "0" * 32, "CallSid": PARENT_SID,
            "CallStatus": "ringing", "Direction": "inbound", "From": f"client:agent-{call.agent_id}",
            "Caller": f"client:agent-{call.agent_id}", "To": to, "ApiVersion": "2010-04-01",
            "call_id": str(call.pk)}


def test_the_token_is_a_short_lived_voice_grant_for_the_signed_in_agent(client, open_call):
    grant = client.get("/agent/voice/token/").json()
    assert grant["mode"] == "twilio" and grant["identity"] == f"agent-{open_call.agent_id}"
    payload = json.loads(base64.urlsafe_b64decode(grant["token"].split(".")[1] + "=="))
    assert payload["grants"]["identity"] == f"agent-{open_call.agent_id}"
    assert payload["grants"]["voice"]["outgoing"]["application_sid"] == "AP" + "0" * 32
    assert payload["exp"] - NOW.timestamp() <= 600


def test_without_credentials_the_console_works_offline(client, open_call, settings):
    settings.TWILIO_API_KEY = ""
    assert client.get("/agent/voice/token/").json() == {"mode": "offline"}


def test_the_token_needs_a_signed_in_agent(client):
    assert client.get("/agent/voice/token/").status_code == 302


def test_the_voice_webhook_dials_the_customers_number_after_the_gate(client, open_call):
    response = signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call, to="+19995550000"))
    twiml = response.content.decode()
    assert response["Content-Type"] == "text/xml"
    assert '<Number machineDetection="Enable" statusCallback="https://recovery.example.com/webhooks/twilio/voice/' \
           'status/"' in twiml and ">+12125550181</Number>" in twiml and "+19995550000" not in twiml
    assert 'callerId="+18005550199"' in twiml
    open_call.refresh_from_db()
    assert open_call.attempt.decision.allowed and open_call.provider_sid == PARENT_SID


def test_the_voice_webhook_refuses_a_number_on_the_dnc_list_whatever_the_browser_asks(client, open_call, national):
    add_entry(national, "+12125550181")
    twiml = signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call)).content.decode()
    assert "<Dial" not in twiml and "<Hangup />" in twiml
    assert "This call cannot be placed. The number is on the National registry" in twiml
    assert not ContactAttempt.objects.exists()


def test_the_voice_webhook_refuses_a_call_that_is_not_the_agents(client, open_call):
    params = voice_request(open_call)
    params["From"] = f"client:agent-{open_call.agent_id + 1000}"
    twiml = signed_post(client, "/webhooks/twilio/voice/", params).content.decode()
    assert "There is no open call for this agent" in twiml and "<Dial" not in twiml


def test_the_voice_webhook_refuses_an_unsigned_request(client, open_call):
    response = signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call), token="wrong")
    assert response.status_code == 403
    assert not ContactAttempt.objects.exists()


def status(status: str, **extra) -> dict:
    """The customer leg's status callback (the <Number>'s statusCallback)."""
    return {"AccountSid": "AC" + "0" * 32, "CallSid": CHILD_SID, "ParentCallSid": PARENT_SID, "CallStatus": status,
            "Direction": "outbound-dial", "From": "+18005550199", "To": "+12125550181", "ApiVersion": "2010-04-01",
            "Timestamp": "Wed, 18 Nov 2026 15:00:05 +0000", "SequenceNumber": "0", **extra}


def test_status_callbacks_record_ringing_answer_machine_detection_and_duration(client, open_call):
    signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call))
    signed_post(client, "/webhooks/twilio/voice/status/", status("ringing"))
    signed_post(client, "/webhooks/twilio/voice/status/",
                status("in-progress", AnsweredBy="machine_start", Timestamp="Wed, 18 Nov 2026 15:00:09 +0000"))
    signed_post(client, "/webhooks/twilio/voice/status/",
                status("completed", CallDuration="27", Timestamp="Wed, 18 Nov 2026 15:00:36 +0000"))
    signed_post(client, "/webhooks/twilio/voice/status/", status("ringing"))  # late, ignored

    open_call.refresh_from_db()
    assert open_call.line_status == "completed" and open_call.answered_by == "machine_start"
    assert open_call.ringing_at == datetime(2026, 11, 18, 15, 0, 5, tzinfo=UTC)
    assert open_call.answered_at == datetime(2026, 11, 18, 15, 0, 9, tzinfo=UTC)
    assert open_call.ended_at == open_call.answered_at + timedelta(seconds=27)
    assert open_call.duration_seconds == 27 and open_call.attempt.duration_seconds == 27
    assert open_call.attempt.provider_status == "completed"


def test_a_status_callback_with_a_bad_signature_changes_nothing(client, open_call):
    signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call))
    assert signed_post(client, "/webhooks/twilio/voice/status/", status("completed"), token="x").status_code == 403
    open_call.refresh_from_db()
    assert open_call.line_status == "initiated"


def test_where_calls_may_not_be_simulated_a_missing_credential_refuses_the_dial_and_says_why(
        client, open_call, settings):
    # given production without VOICE_BACKEND=offline, and one voice credential missing
    settings.TWILIO_API_KEY, settings.VOICE_OFFLINE_SIMULATION = "", False

    # then the console says so, and dialing records nothing
    assert client.get("/agent/voice/token/").json() == {"mode": "unconfigured"}
    assert "calling is not configured" in client.get(f"/agent/calls/{open_call.pk}/").content.decode()
    response = client.post(f"/agent/calls/{open_call.pk}/dial/", HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Calling is not configured: no one can be dialed." in response.content.decode()
    open_call.refresh_from_db()
    assert open_call.attempt_id is None and not ContactAttempt.objects.exists()


def test_the_voice_webhook_refuses_a_cart_the_agent_passed(client, open_call):
    client.post(f"/agent/calls/{open_call.pk}/pass/", HTTP_HX_REQUEST="true")

    twiml = signed_post(client, "/webhooks/twilio/voice/", voice_request(open_call)).content.decode()

    assert "<Dial" not in twiml and "You passed this cart: it is not dialed" in twiml
    assert not ContactAttempt.objects.exists()
