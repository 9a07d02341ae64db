"""The console follows the line: "Call ended → wrap-up" at any step, the wrap-up hangs up and keeps the line's
times, the outcome starts from the line's events, passing, the opt-out's effect on screen, the link's and the
callback's preselections. Line events arrive as Twilio posts them: signed status callbacks to our webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from agents.models import AgentProfile, Call
from agents.services import next_cart
from agents.services.queue import PASS_COOLDOWN
from compliance.models import ContactAttempt
from recovery.messaging import backends
from recovery.models import Cart
from tests.agents.helpers import NOW, open_cart
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("national")]
HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = "twilio-test-auth-token"
BASE = "https://recovery.example.com"


@pytest.fixture(autouse=True)
def clock(settings):
    """Offline voice (no API key), with the account's auth token set so the status webhook checks signatures."""
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, TOKEN
    settings.TWILIO_API_KEY, settings.PUBLIC_BASE_URL = "", BASE
    backends.outbox.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    backends.outbox.clear()


@pytest.fixture
def agent(agent_user):
    AgentProfile.objects.create(user=agent_user)
    return agent_user


@pytest.fixture
def taken(client, agent, cart) -> Call:
    client.force_login(agent)
    client.post("/agent/next/")
    return Call.objects.get(agent=agent)


@pytest.fixture
def dialed(client, taken) -> Call:
    client.post(f"/agent/calls/{taken.pk}/dial/", **HTMX)
    taken.refresh_from_db()
    return taken


def line_event(client, call: Call, status: str, **extra: str):
    """The dialed leg's status callback, signed as Twilio signs it (payload as Twilio documents it)."""
    params = {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + "9" * 32, "ParentCallSid": call.provider_sid,
              "CallStatus": status, "Direction": "outbound-dial", "ApiVersion": "2010-04-01", **extra}
    path = "/webhooks/twilio/voice/status/"
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
    response = client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 204
    return response


def post(client, call: Call, path: str, **data):
    return client.post(f"/agent/calls/{call.pk}/{path}/", data=data, **HTMX)


def test_call_ended_at_step_2_goes_to_the_wrap_up_records_the_step_and_hangs_up(client, dialed, clock):
    # given a connected call at step 2
    line_event(client, dialed, "ringing")
    line_event(client, dialed, "in-progress", AnsweredBy="human")
    post(client, dialed, "step", answer="reached")
    clock.shift(timedelta(seconds=40))

    # when the customer hangs up and the agent presses "Call ended → wrap-up"
    page = post(client, dialed, "end").content.decode()

    # then the wrap-up shows, says where the call ended, and the line is down with its talk time
    dialed.refresh_from_db()
    assert dialed.step == Call.Step.WRAP_UP and dialed.ended_at_step == Call.Step.FRICTION
    assert dialed.line_status == "completed" and dialed.ended_at == NOW + timedelta(seconds=40)
    assert dialed.talk_seconds == 40 and dialed.frictions.count() == 0 and dialed.offered == []
    assert "The call ended at step 2 · Friction." in page and "Wrap-up" in page
    assert 'id="line"' in page and 'hx-swap-oob="true"' in page and "Call ended (completed)" in page
    assert AgentProfile.objects.get(user=dialed.agent).status == "wrap_up"


@pytest.mark.parametrize("step_answers", [{}, {"answer": "reached"}])
def test_every_dialed_step_offers_call_ended_with_the_w_key(client, dialed, step_answers):
    if step_answers:
        post(client, dialed, "step", **step_answers)
    page = client.get(f"/agent/calls/{dialed.pk}/").content.decode()
    assert 'id="call-ended"' in page and "Call ended → wrap-up <kbd>W</kbd>" in page


def test_the_dial_brings_call_ended_under_the_script_without_a_reload(client, taken):
    page = post(client, taken, "dial").content.decode()
    assert '<div id="call-end" class="call-end" hx-swap-oob="true">' in page and 'id="call-ended"' in page


def test_call_ended_on_an_undialed_call_is_refused_on_screen(client, taken):
    response = post(client, taken, "end")
    assert response.status_code == 422
    assert "This call was not dialed: pass the cart instead." in response.content.decode()
    assert 'id="call-ended"' not in client.get(f"/agent/calls/{taken.pk}/").content.decode()


def test_saving_the_wrap_up_hangs_up_the_line_and_keeps_the_talk_time(client, dialed, clock):
    # given a connected call that reaches the wrap-up with the line still up
    line_event(client, dialed, "in-progress", AnsweredBy="human")
    post(client, dialed, "step", answer="no_answer")
    clock.shift(timedelta(seconds=25))

    # when the wrap-up is saved
    post(client, dialed, "step", disposition="no_answer", then="home")

    # then the line is hung up: its end, duration and status are the line's, and no after-call work is counted
    dialed.refresh_from_db()
    assert dialed.wrapped_up_at == NOW + timedelta(seconds=25) and dialed.line_status == "completed"
    assert dialed.ended_at == dialed.wrapped_up_at and dialed.duration_seconds == 25
    assert (dialed.talk_seconds, dialed.after_call_seconds) == (25, 0)
    assert ContactAttempt.objects.get(pk=dialed.attempt_id).provider_status == "completed"


def test_after_call_work_runs_from_the_lines_end_to_the_wrap_up_saved(client, dialed, clock):
    line_event(client, dialed, "in-progress", AnsweredBy="human")
    clock.shift(timedelta(seconds=90))
    line_event(client, dialed, "completed", CallDuration="90")
    post(client, dialed, "end")
    clock.shift(timedelta(seconds=35))
    page = client.get(f"/agent/calls/{dialed.pk}/").content.decode()
    assert 'id="wrap-up-timer" data-elapsed="35"' in page and 'id="talk-timer" data-elapsed="90"' in page

    post(client, dialed, "step", disposition="not_interested", then="home")

    dialed.refresh_from_db()
    assert (dialed.talk_seconds, dialed.after_call_seconds) == (90, 35)


def test_the_talk_timer_runs_while_connected(client, dialed, clock):
    line_event(client, dialed, "in-progress", AnsweredBy="human")
    clock.shift(timedelta(seconds=12))
    page = client.get(f"/agent/calls/{dialed.pk}/line/", **HTMX).content.decode()
    assert 'id="talk-timer" data-elapsed="12" data-running' in page


@pytest.mark.parametrize(("events", "answer", "disposition"), [
    ([("no-answer", {"CallDuration": "0"})], "no_answer", "no_answer"),
    ([("busy", {"CallDuration": "0"})], "busy", "busy"),
    ([("failed", {"CallDuration": "0"})], "no_answer", "failed"),
    ([("in-progress", {"AnsweredBy": "machine_end_beep"})], "voicemail", "voicemail"),
])
def test_the_outcome_starts_from_what_the_line_reported(client, dialed, events, answer, disposition):
    for status, extra in events:
        line_event(client, dialed, status, **extra)

    opening = client.get(f"/agent/calls/{dialed.pk}/").content.decode()
    assert f'value="{answer}" checked' in opening  # the agent confirms the line's answer

    wrap_up = post(client, dialed, "end").content.decode()
    assert f'value="{disposition}" checked' in wrap_up


def test_with_twilio_saving_the_wrap_up_hangs_up_through_the_rest_api(client, dialed, settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    # given the same call, now with every Twilio credential (the browser's leg is Twilio's)
    settings.TWILIO_API_KEY, settings.TWILIO_API_SECRET = "SK" + "0" * 32, "an-api-secret-of-at-least-32-bytes!"
    settings.TWILIO_TWIML_APP_SID = "AP" + "0" * 32
    updated = []

    class Calls:  # Twilio's REST API, the outside world
        def __init__(self, sid):
            self.sid = sid

        def update(self, **fields):
            updated.append((self.sid, fields))

    monkeypatch.setattr("integrations.twilio.voice.Client", lambda *args: type("C", (), {"calls": Calls})())
    line_event(client, dialed, "in-progress", AnsweredBy="human")
    post(client, dialed, "step", answer="no_answer")

    with django_capture_on_commit_callbacks(execute=True):
        post(client, dialed, "step", disposition="no_answer", then="home")

    assert updated == [(dialed.provider_sid, {"status": "completed"})]


def test_passing_preselects_the_disposition_closes_dialing_and_asks_a_reason_from_a_list(client, taken):
    page = post(client, taken, "pass").content.decode()
    assert 'value="not_called" checked' in page and 'name="pass_reason"' in page
    assert "Passed: not to be dialed" in page and 'id="dial"' not in page  # the line's block, out of band

    refused = post(client, taken, "dial")
    assert refused.status_code == 422 and "You passed this cart" in refused.content.decode()
    assert post(client, taken, "step", disposition="not_called", pass_reason="other").status_code == 422
    assert "Pick why you pass this cart." in post(client, taken, "step", disposition="not_called").content.decode()

    post(client, taken, "step", disposition="not_called", pass_reason="already_ordered", then="home")
    taken.refresh_from_db()
    assert taken.wrapped_up_at is not None and taken.pass_reason == "already_ordered" and taken.attempt is None


def test_a_passed_cart_is_not_handed_back_to_the_same_agent_for_a_while(client, taken, agent, shopify_store):
    # given an agent who passed the only cart
    post(client, taken, "pass")
    post(client, taken, "step", disposition="not_called", pass_reason="known_contact", then="home")

    # then the queue does not hand it back to that agent, but does to another, and to the agent later
    assert next_cart(agent, now=NOW) is None
    cart = Cart.objects.get(pk=taken.cart_id)
    assert (cart.passed_by_id, cart.passed_until) == (agent.pk, NOW + PASS_COOLDOWN)
    assert next_cart(UserFactory(username="sam"), now=NOW) == cart
    Cart.objects.filter(pk=cart.pk).update(reserved_by=None, reserved_until=None)
    assert next_cart(agent, now=NOW + PASS_COOLDOWN) == cart


def test_a_passed_cart_is_still_handed_to_the_agent_when_it_passed_another(client, taken, agent, shopify_store):
    other = open_cart(shopify_store, phone="+12125550183", score=10)
    post(client, taken, "pass")
    post(client, taken, "step", disposition="not_called", pass_reason="language", then="home")
    assert next_cart(agent, now=NOW) == other


def test_an_opt_out_on_the_call_shows_its_effect_at_once_and_for_good(client, dialed):
    page = post(client, dialed, "step", answer="opt_out").content.decode()

    assert "Do not contact:</strong> asked on the call, 18 Nov 15:00. This is permanent" in page
    assert '<span id="compliance-status" hx-swap-oob="true">' in page and "do not contact" in page
    assert "may be called now" not in page
    full = client.get(f"/agent/calls/{dialed.pk}/").content.decode()
    assert "Do not contact: asked on the call, 18 Nov 15:00." in full


def test_after_a_link_is_sent_link_sent_is_preselected(client, dialed):
    post(client, dialed, "step", answer="reached")
    post(client, dialed, "step", friction=["payment_failed"])
    post(client, dialed, "step", offered=["Offer a payment link"], resolved="yes")
    post(client, dialed, "step")
    assert "Checkout link sent by email." in post(client, dialed, "link", channel="email").content.decode()

    page = post(client, dialed, "step").content.decode()

    assert 'value="link_sent" checked' in page


def test_the_callbacks_time_zone_is_a_list_starting_at_the_customers(client, dialed):
    page = post(client, dialed, "step", answer="callback").content.decode()
    assert '<select name="timezone" required' in page
    assert '<option value="America/New_York" selected>America/New York</option>' in page


def test_the_voice_webhook_refuses_to_dial_a_passed_call(client, taken, settings):
    post(client, taken, "pass")
    params = {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + "1" * 32, "From": f"client:agent-{taken.agent_id}",
              "To": "+12125550181", "call_id": str(taken.pk)}
    path = "/webhooks/twilio/voice/"
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
    twiml = client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature).content.decode()
    assert "<Hangup" in twiml and "You passed this cart" in twiml
    assert not ContactAttempt.objects.exists()
