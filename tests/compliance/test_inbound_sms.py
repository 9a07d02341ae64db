"""Inbound SMS through the real webhook, signed the way Twilio signs it."""

from __future__ import annotations

import secrets

import pytest
from twilio.request_validator import RequestValidator

from compliance.models import ContactAttempt, ContactDecision, InboundMessage, OptOut
from compliance.services.inbound import inbound_sms_handle
from compliance.services.optouts import sms_intent

pytestmark = pytest.mark.django_db
TOKEN = "twilio-test-auth-token"
URL = "http://testserver/webhooks/twilio/sms/"


@pytest.fixture(autouse=True)
def _twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = ""


def inbound(body: str, *, sender: str = "+12125550100", sid: str = "") -> dict[str, str]:
    """An inbound text as Twilio posts it; each call is a new message (its own sid) unless `sid` is given."""
    return {
        "MessageSid": sid or f"SM{secrets.token_hex(16)}", "AccountSid": "AC00000000000000000000000000000000",
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


def test_each_text_is_stored_once_with_what_it_asked_for(client, shopify_store):
    # given: the store texted this number last
    decision = ContactDecision.objects.create(at="2026-11-23T19:00:00Z", requester="test", store=shopify_store,
                                              phone="+12125550100", channel="sms", allowed=True)
    ContactAttempt.objects.create(decision=decision, store=shopify_store, channel="sms", phone="+12125550100",
                                  at=decision.at, outcome="sent")
    params = {**inbound("Is the bike still in stock?", sid="SM" + "1" * 32), "NumMedia": "2"}

    # when
    response = post_signed(client, params)

    # then
    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.message_sid, message.from_number, message.body, message.num_media, message.intent,
            message.store) == ("SM" + "1" * 32, "+12125550100", "Is the bike still in stock?", 2, "", shopify_store)
    assert message.received_at is not None


def test_a_replayed_start_cannot_undo_a_later_stop(client):
    # given: STOP, START, then STOP again, each a real text
    post_signed(client, inbound("STOP"))
    start = inbound("START")
    post_signed(client, start)
    post_signed(client, inbound("STOP"))

    # when: someone who captured the signed START posts it again, twice
    replays = [post_signed(client, start) for _ in range(2)]

    # then: answered as Twilio expects, with nothing applied and nothing said
    assert [(r.status_code, r["Content-Type"].split(";")[0]) for r in replays] == [(200, "text/xml")] * 2
    assert all(b"<Message>" not in r.content for r in replays)
    assert list(OptOut.objects.order_by("at", "pk").values_list("action", flat=True)) == [
        "opt_out", "opt_in", "opt_out"]
    assert InboundMessage.objects.count() == 3


def test_a_replayed_free_text_opt_out_is_confirmed_once(client):
    params = inbound("please stop texting me")

    first, second = post_signed(client, params), post_signed(client, params)

    assert b"unsubscribed from texts" in first.content
    assert b"<Message>" not in second.content
    assert OptOut.objects.count() == 1


def test_the_service_applies_a_sid_only_once():
    first = inbound_sms_handle(message_sid="SM" + "2" * 32, from_number="+12125550100", body="START")
    again = inbound_sms_handle(message_sid="SM" + "2" * 32, from_number="+12125550100", body="START")

    assert (first.intent, first.replayed, first.optout is not None) == ("opt_in", False, True)
    assert (again.replayed, again.optout, again.message) == (True, None, None)
    assert OptOut.objects.count() == 1


def test_a_text_without_a_message_sid_is_refused_and_nothing_recorded(client):
    params = inbound("STOP")
    del params["MessageSid"]

    response = post_signed(client, params)

    assert response.status_code == 400
    assert b"MessageSid" in response.content
    assert not OptOut.objects.exists() and not InboundMessage.objects.exists()
