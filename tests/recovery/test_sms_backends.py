"""The SMS backends: Twilio's real client (its HTTP transport answering as Twilio's API does) and the
local recorder."""

from __future__ import annotations

import json

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from recovery.messaging import backends, sms_send
from recovery.messaging.backends import PermanentSendError, SmsNotConfigured, TransientSendError, TwilioSmsBackend

ACCOUNT = "AC" + "0" * 32
MESSAGE_SID = "SM" + "a" * 32


class TwilioApi(HttpClient):
    """Answers the Messages API the way api.twilio.com does (shapes from Twilio's API reference)."""

    def __init__(self, status: int = 201, error: dict | None = None):
        super().__init__(logger=None, is_async=False)
        self.status, self.error, self.requests = status, error, []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": data, "auth": auth})
        if self.error is not None:
            return Response(self.status, json.dumps(self.error))
        body = {
            "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": data["Body"], "direction": "outbound-api",
            "date_created": "Mon, 23 Nov 2026 19:00:00 +0000", "date_sent": None, "date_updated": None,
            "error_code": None, "error_message": None, "from": data.get("From"), "num_media": "0",
            "num_segments": "1", "price": None, "price_unit": "USD", "messaging_service_sid": None,
            "sid": MESSAGE_SID, "status": "queued", "subresource_uris": {}, "to": data["To"],
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE_SID}.json",
        }
        return Response(self.status, json.dumps(body))


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT, "token"
    settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = "+18005550199", ""
    return settings


def backend_with(api: TwilioApi) -> TwilioSmsBackend:
    return TwilioSmsBackend(client=Client(ACCOUNT, "token", http_client=api))


def test_twilio_backend_posts_the_message_with_a_status_callback(twilio_settings):
    api = TwilioApi()
    sent = backend_with(api).send(to="+12125550171", body="Your cart is saved",
                                  status_callback="https://recovery.example.com/webhooks/twilio/sms/status/")

    assert (sent.sid, sent.status) == (MESSAGE_SID, "queued")
    (request,) = api.requests
    assert request["method"] == "POST"
    assert request["uri"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request["data"] == {"To": "+12125550171", "From": "+18005550199", "Body": "Your cart is saved",
                               "StatusCallback": "https://recovery.example.com/webhooks/twilio/sms/status/"}
    assert request["auth"] == (ACCOUNT, "token")


def test_twilio_backend_can_send_through_a_messaging_service(twilio_settings):
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    api = TwilioApi()
    backend_with(api).send(to="+12125550171", body="Hi")
    assert api.requests[0]["data"]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in api.requests[0]["data"]


def test_an_unsubscribed_recipient_is_a_permanent_refusal(twilio_settings):
    api = TwilioApi(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                          "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
    with pytest.raises(PermanentSendError) as refused:
        backend_with(api).send(to="+12125550171", body="Hi")
    assert refused.value.recipient_stopped


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_outages_are_transient(twilio_settings, status):
    api = TwilioApi(status, {"code": 20429 if status == 429 else 20500, "message": "Try later",
                             "more_info": "https://www.twilio.com/docs/errors/20429", "status": status})
    with pytest.raises(TransientSendError):
        backend_with(api).send(to="+12125550171", body="Hi")


def test_without_credentials_texts_are_recorded_locally(settings, tmp_path):
    settings.SMS_BACKEND = "recovery.messaging.backends.LocalSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "outbox" / "sms.jsonl")
    settings.PUBLIC_BASE_URL = ""
    backends.outbox.clear()

    sent = sms_send(to="+12125550171", body="Your cart is saved")

    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert backends.outbox == [sent]
    line = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text().strip())
    assert (line["to"], line["body"], line["sid"]) == ("+12125550171", "Your cart is saved", sent.sid)
    backends.outbox.clear()


def test_credentials_select_the_twilio_backend(monkeypatch):
    import importlib

    from config.settings.integrations import twilio as twilio_settings

    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    try:
        assert importlib.reload(twilio_settings).SMS_BACKEND == "recovery.messaging.backends.TwilioSmsBackend"
        monkeypatch.delenv("TWILIO_ACCOUNT_SID")
        assert importlib.reload(twilio_settings).SMS_BACKEND == "recovery.messaging.backends.LocalSmsBackend"
    finally:
        monkeypatch.undo()
        importlib.reload(twilio_settings)


def test_the_unconfigured_backend_refuses_every_text_naming_what_to_set(settings):
    settings.SMS_BACKEND = "recovery.messaging.backends.UnconfiguredSmsBackend"
    backends.outbox.clear()

    with pytest.raises(SmsNotConfigured) as refused:
        sms_send(to="+12125550171", body="Your cart is saved")

    assert isinstance(refused.value, PermanentSendError) and not refused.value.recipient_stopped
    assert "TWILIO_ACCOUNT_SID" in str(refused.value) and "SMS_BACKEND=local" in str(refused.value)
    assert backends.outbox == []


@pytest.mark.parametrize(("chosen", "fallback", "path"), [
    ("local", "twilio", "recovery.messaging.backends.LocalSmsBackend"),
    ("twilio", "local", "recovery.messaging.backends.TwilioSmsBackend"),
    ("", "unconfigured", "recovery.messaging.backends.UnconfiguredSmsBackend"),
    ("tests.stand_in.Backend", "local", "tests.stand_in.Backend"),
])
def test_sms_backend_takes_a_name_or_a_dotted_path(chosen, fallback, path):
    from config.settings.integrations.twilio import sms_backend_path

    assert sms_backend_path(chosen, fallback=fallback) == path


def test_an_unknown_sms_backend_name_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.integrations.twilio import sms_backend_path

    with pytest.raises(ImproperlyConfigured, match="SMS_BACKEND must be one of twilio, local, unconfigured"):
        sms_backend_path("locall", fallback="local")
