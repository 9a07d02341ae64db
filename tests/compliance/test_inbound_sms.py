"""Inbound SMS through the real webhook, signed the way Twilio signs it."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from compliance.models import OptOut
from compliance.services.optouts import sms_intent

pytestmark = pytest.mark.django_db
TOKEN = "twilio-test-auth-token"
URL = "http://testserver/webhooks/twilio/sms/"


@pytest.fixture(autouse=True)
def _twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = ""


def inbound(body: str, *, sender: str = "+12125550100") -> dict[str, str]:
    return {
        "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "AccountSid": "AC00000000000000000000000000000000",
        "MessagingServiceSid": "MG00000000000000000000000000000000", "From": sender, "To": "+18005550199",
        "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
        "FromCountry": "US", "FromState": "NY", "FromCity": "NEW YORK",
    }


def post_signed(client, params: dict[str, str], *, url: str = URL, token: str = TOKEN, **extra):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post("/webhooks/twilio/sms/", data=params, HTTP_X_TWILIO_SIGNATURE=signature, **extra)


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                                  "REVOKE", "OPTOUT", "stop texting me", "Please don't contact me again",
                                  "remove me from your list", "no more messages please"])
def test_opt_out_messages_are_recorded_at_once(client, body):
    response = post_signed(client, inbound(body))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    optout = OptOut.objects.get()
    assert (optout.phone, optout.action, optout.source) == ("+12125550100", "opt_out", "sms")
    assert body in optout.evidence


@pytest.mark.parametrize(
    ("body", "kind", "scope"),
    [
        ("STOP", "opt_out", "sms"),
        ("STOPALL", "opt_out", "all"),
        ("stop texting me", "opt_out", "sms"),
        ("please don't contact me", "opt_out", "all"),
        ("Stop calling me", "opt_out", "all"),
        ("START", "opt_in", "sms"),
        ("unstop", "opt_in", "sms"),
        ("YES", "opt_in", "sms"),
        ("HELP", "help", "sms"),
        ("info", "help", "sms"),
        ("Is the bike still in stock?", "", "sms"),
        ("I can't stop thinking about that helmet", "", "sms"),
    ],
)
def test_sms_intent(body, kind, scope):
    intent = sms_intent(body)

    assert (intent.kind, intent.scope) == (kind, scope)


def test_free_text_opt_out_gets_one_confirmation_keyword_does_not(client):
    keyword = post_signed(client, inbound("STOP"))
    free_text = post_signed(client, inbound("please stop texting me", sender="+12125550101"))

    assert b"<Message>" not in keyword.content  # Twilio confirms carrier keywords itself
    assert b"unsubscribed from texts" in free_text.content


def test_start_opts_back_in(client):
    post_signed(client, inbound("STOP"))
    post_signed(client, inbound("START"))

    assert list(OptOut.objects.order_by("at", "pk").values_list("action", flat=True)) == ["opt_out", "opt_in"]


def test_help_gets_the_help_text(client):
    response = post_signed(client, inbound("HELP"))

    assert b"Reply STOP" in response.content
    assert OptOut.objects.count() == 0


def test_bad_signature_is_refused_with_403_and_nothing_recorded(client):
    response = post_signed(client, inbound("STOP"), token="not-the-token")

    assert response.status_code == 403
    assert OptOut.objects.count() == 0


def test_missing_signature_is_refused(client):
    response = client.post("/webhooks/twilio/sms/", data=inbound("STOP"))

    assert response.status_code == 403


def test_tampered_body_is_refused(client):
    params = inbound("HELP")
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    params["Body"] = "STOP"

    response = client.post("/webhooks/twilio/sms/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403


def test_signature_is_checked_against_the_public_base_url_behind_a_proxy(client, settings):
    settings.PUBLIC_BASE_URL = "https://recovery.example.com"

    proxied = post_signed(client, inbound("STOP"), url="https://recovery.example.com/webhooks/twilio/sms/")
    internal = post_signed(client, inbound("STOP"), url=URL)

    assert proxied.status_code == 200
    assert internal.status_code == 403


def test_unconfigured_token_refuses_everything(client, settings):
    settings.TWILIO_AUTH_TOKEN = None

    assert post_signed(client, inbound("STOP")).status_code == 403
