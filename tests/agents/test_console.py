"""The call console through its views: every step, every opening outcome, completion, wrap-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from agents.models import AgentProfile, Call, Callback, DraftOrder
from compliance.models import ContactAttempt
from compliance.services import check_contact
from recovery.messaging import backends
from recovery.models import Cart
from tests.agents.helpers import NOW
from tests.factories import CartFactory, CustomerFactory, UserFactory, add_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("national")]  # every test has a fresh national list
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _outboxes():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


@pytest.fixture
def agent(agent_user):
    agent_user.first_name = "Maya"
    agent_user.save()
    AgentProfile.objects.create(user=agent_user)
    return agent_user


@pytest.fixture
def on_call(client, agent, cart):
    """The agent has taken the cart and dialed (offline)."""
    client.force_login(agent)
    client.post("/agent/next/")
    call = Call.objects.get(agent=agent)
    client.post(f"/agent/calls/{call.pk}/dial/", **HTMX)
    call.refresh_from_db()
    return call


def step(client, call, **data):
    return client.post(f"/agent/calls/{call.pk}/step/", data=data, **HTMX)


def test_the_agent_home_has_status_numbers_callbacks_and_one_button(client, agent):
    client.force_login(agent)
    page = client.get("/agent/").content.decode()
    assert 'id="next-cart"' in page and "Calls today" in page and "My callbacks" in page
    assert "Available" in page


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/agent/").url.startswith("/login/")


def test_next_cart_opens_the_cart_screen_with_the_script_filled_in(client, agent, cart):
    client.force_login(agent)
    response = client.post("/agent/next/")
    call = Call.objects.get(agent=agent)
    assert response.url == f"/agent/calls/{call.pk}/"
    assert AgentProfile.objects.get(user=agent).status == "on_call"

    page = client.get(response.url).content.decode()
    assert "Hi Jane, this is Maya from Demo Store" in page and "the Trail Runner GTX" in page
    assert "Call first: $640 cart, payment declined" in page
    assert "America/New_York" in page and "Wed 10:00" in page
    assert "may be called now" in page
    assert "payment failed" in page and "recovery link" in page


def test_nothing_to_call_says_so_plainly(client, agent):
    client.force_login(agent)
    response = client.post("/agent/next/", follow=True)
    assert "No cart may be called right now" in response.content.decode()


def test_the_opening_needs_a_dial_first(client, agent, cart):
    client.force_login(agent)
    client.post("/agent/next/")
    call = Call.objects.get(agent=agent)
    response = step(client, call, answer="reached")
    assert response.status_code == 422 and "Dial the customer first" in response.content.decode()


def test_dialing_asks_the_gate_and_the_offline_line_rings_answers_and_ends(client, on_call, clock):
    attempt = on_call.attempt
    assert attempt.channel == "voice" and attempt.agent == on_call.agent and attempt.decision.allowed
    assert on_call.line_status == "initiated"

    clock.shift(timedelta(seconds=2))
    assert "Ringing" in client.post(f"/agent/calls/{on_call.pk}/line/").content.decode()
    clock.shift(timedelta(seconds=3))
    assert "Connected" in client.post(f"/agent/calls/{on_call.pk}/line/").content.decode()
    clock.shift(timedelta(seconds=40))
    ended = client.post(f"/agent/calls/{on_call.pk}/hangup/").content.decode()
    assert "Call ended (completed), 41 s" in ended
    attempt.refresh_from_db()
    assert (attempt.duration_seconds, attempt.provider_status) == (41, "completed")


def test_reading_the_offline_line_changes_nothing(client, on_call, clock):
    # given a dialed call whose simulated customer would have answered by now
    clock.shift(timedelta(seconds=5))
    # when the line is read with a GET (a prefetch, a reload, a crawler)
    response = client.get(f"/agent/calls/{on_call.pk}/line/")
    # then it shows the line as it stands, and the call has not moved on
    assert response.status_code == 200 and "Dialing" in response.content.decode()
    on_call.refresh_from_db()
    assert (on_call.line_status, on_call.ringing_at, on_call.answered_at) == ("initiated", None, None)
    # and the console's poll (a POST with the CSRF header) is what advances it
    assert f'hx-post="/agent/calls/{on_call.pk}/line/"' in response.content.decode()
    assert "Connected" in client.post(f"/agent/calls/{on_call.pk}/line/").content.decode()


def test_a_number_the_gate_refuses_is_not_dialed(client, agent, cart, national):
    add_entry(national, "+12125550181")
    client.force_login(agent)
    client.post("/agent/next/")  # the queue screens it out
    assert not Call.objects.exists()


def test_the_five_steps_a_link_by_email_and_the_wrap_up(client, on_call, clock):
    call = on_call
    page = step(client, call, answer="reached").content.decode()
    assert "2 · Friction" in page

    assert step(client, call, notes="x").status_code == 422  # no reason chosen
    page = step(client, call, friction=["payment_failed", "shipping_costs"], notes="Declined twice").content.decode()
    assert "3 · Objections" in page and "Suggest another card or a wallet" in page
    assert "Mention the free-shipping threshold" in page

    page = step(client, call, offered=["Offer a payment link by email or text"], resolved="yes").content.decode()
    assert "4 · Value" in page and "Free returns within 30 days" in page

    page = step(client, call, used=["Free returns within 30 days"]).content.decode()
    assert "5 · Completion" in page

    page = client.post(f"/agent/calls/{call.pk}/link/", {"channel": "email"}, **HTMX).content.decode()
    assert "Checkout link sent by email" in page
    assert 'id="history-panel" hx-swap-oob="true"' in page and "link sent" in page  # the side panel follows
    (email,) = mail.outbox
    assert email.to == ["jane.call@example.com"] and "checkouts/abc/recover" in email.body
    assert ContactAttempt.objects.get(channel="email").agent == call.agent

    page = step(client, call).content.decode()
    assert "Wrap-up" in page
    assert step(client, call, then="home").status_code == 422  # a disposition is required
    response = step(client, call, disposition="link_sent", notes="Will pay tonight", upsell_value="25", then="home")
    assert response["HX-Redirect"] == "/agent/"

    call.refresh_from_db()
    assert call.wrapped_up_at == NOW and call.disposition == "link_sent" and call.upsell_value == Decimal("25")
    assert set(call.step_times) == {"1", "2", "3", "4", "5", "6", "7"}
    assert call.offered == ["Offer a payment link by email or text"] and call.resolved == "yes"
    assert sorted(call.frictions.values_list("code", flat=True)) == ["payment_failed", "shipping_costs"]
    assert call.attempt.outcome == "link_sent"
    cart = Cart.objects.get(pk=call.cart_id)
    assert cart.reserved_by is None and cart.call_attempts == 1 and cart.next_call_at is not None
    assert AgentProfile.objects.get(user=call.agent).status == "away"  # "Save and stop": not idle on the floor


def test_a_text_without_consent_is_refused_with_the_gates_reason(client, on_call):
    step(client, on_call, answer="reached")
    step(client, on_call, friction=["no_time"])
    step(client, on_call, offered=["Offer to send the link to finish in a minute"], resolved="yes")
    step(client, on_call, used=[])
    response = client.post(f"/agent/calls/{on_call.pk}/link/", {"channel": "sms"}, **HTMX)
    assert response.status_code == 422
    assert "Marketing texts need the customer&#x27;s consent" in response.content.decode()
    assert backends.outbox == []


@pytest.mark.parametrize(("answer", "disposition"), [
    ("no_answer", "no_answer"), ("voicemail", "voicemail"), ("busy", "busy"), ("wrong_number", "wrong_number"),
])
def test_an_opening_without_a_conversation_goes_to_the_wrap_up(client, on_call, answer, disposition):
    page = step(client, on_call, answer=answer).content.decode()
    assert "Wrap-up" in page
    on_call.refresh_from_db()
    assert on_call.disposition == disposition
    assert AgentProfile.objects.get(user=on_call.agent).status == "wrap_up"
    step(client, on_call, disposition=disposition, then="home")
    customer = Cart.objects.get(pk=on_call.cart_id).customer
    assert customer.phone_invalid is (answer == "wrong_number")


def test_an_opt_out_on_the_call_blocks_the_next_call_and_every_message(client, on_call, shopify_store, clock):
    from compliance.services.consent import consent_record
    from recovery.models import RecoveryMessage
    from recovery.services.sequence import message_step_send

    # The same customer has another cart in the automated sequence, with SMS consent and a text due soon.
    customer = on_call.cart.customer
    customer.accepts_sms_marketing = True
    customer.save()
    consent_record(store=shopify_store, channel="sms", granted=True, source="checkout", phone=str(customer.phone),
                   customer=customer, at=NOW - timedelta(days=1))
    other = CartFactory(store=shopify_store, customer=customer, route="automated_first",
                        abandoned_at=NOW - timedelta(minutes=50), platform_created_at=NOW - timedelta(hours=1),
                        sequence_anchor_at=NOW - timedelta(minutes=50), next_message_step=1,
                        next_message_at=NOW + timedelta(minutes=10))

    step(client, on_call, answer="opt_out")
    cart = Cart.objects.get(pk=on_call.cart_id)
    assert cart.status == Cart.Status.SUPPRESSED and cart.next_message_at is None
    step(client, on_call, disposition="do_not_call", then="home")

    clock.shift(timedelta(minutes=15))
    message = message_step_send(cart_id=other.pk, step=1)
    assert message.status == RecoveryMessage.Status.DENIED and backends.outbox == [] and mail.outbox == []
    assert client.post("/agent/next/", follow=True).request["PATH_INFO"] == "/agent/"  # nothing to call
    later = NOW + timedelta(days=1)
    for channel, contact in (("voice", {"phone": "+12125550181"}), ("sms", {"phone": "+12125550181"}),
                             ("email", {"email": "jane.call@example.com"})):
        decision = check_contact(channel=channel, store=cart.store, at=later, **contact)
        assert not decision.allowed and "opted_out_all" in decision.reasons, channel


def test_a_callback_in_the_customers_time_then_wrap_up(client, on_call):
    page = step(client, on_call, answer="callback").content.decode()
    assert "Schedule a callback" in page and "America/New_York" in page
    page = client.post(f"/agent/calls/{on_call.pk}/callback/",
                       {"local_time": "2026-11-19T17:30", "timezone": "America/New_York"}, **HTMX).content.decode()
    assert "Callback booked for 2026-11-19 17:30" in page and "Wrap-up" in page
    callback = Callback.objects.get()
    assert callback.due_at == datetime(2026, 11, 19, 22, 30, tzinfo=UTC) and callback.agent == on_call.agent
    on_call.refresh_from_db()
    assert on_call.disposition == "callback"


def test_a_callback_in_a_time_zone_off_the_list_is_refused_on_screen(client, on_call):
    step(client, on_call, answer="callback")

    response = client.post(f"/agent/calls/{on_call.pk}/callback/",
                           {"local_time": "2026-11-19T17:30", "timezone": "Mars/Olympus"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 422 and "Choose the customer&#x27;s time zone from the list." in page
    assert 'value="2026-11-19T17:30"' in page  # what the agent typed, kept
    assert not Callback.objects.exists()
    on_call.refresh_from_db()
    assert on_call.disposition == ""


def test_payment_by_phone_never_takes_a_card_number_and_recovers_the_cart(client, on_call):
    step(client, on_call, answer="reached")
    step(client, on_call, friction=["payment_failed"])
    step(client, on_call, offered=["Take the payment by phone through the secure terminal"], resolved="yes")
    step(client, on_call, used=[])

    refused = client.post(f"/agent/calls/{on_call.pk}/paid/", {"amount": "640", "reference": "4111 1111 1111 1111"},
                          **HTMX)
    assert refused.status_code == 422 and "looks like a card number" in refused.content.decode()
    page = client.post(f"/agent/calls/{on_call.pk}/paid/", {"amount": "640", "reference": "TXN-88213"},
                       **HTMX).content.decode()
    assert "Payment recorded" in page and "Wrap-up" in page
    cart = Cart.objects.get(pk=on_call.cart_id)
    assert (cart.status, cart.recovered_value, cart.recovered_order_id) == ("recovered", Decimal("640"),
                                                                            "phone:TXN-88213")


def test_an_invoice_is_created_with_the_payment_link(client, on_call):
    for data in ({"answer": "reached"}, {"friction": ["price"]}, {"offered": ["x"], "resolved": "partly"}, {}):
        step(client, on_call, **data)
    page = client.post(f"/agent/calls/{on_call.pk}/invoice/", {"amount": "600.00", "note": "10% off agreed"},
                       **HTMX).content.decode()
    draft = DraftOrder.objects.get()
    assert f"Invoice {draft.pk} created for 600.00 USD" in page
    assert draft.payment_url == "https://demo-store.myshopify.com/checkouts/abc/recover"
    assert client.post(f"/agent/calls/{on_call.pk}/invoice/", {"amount": "-1"}, **HTMX).status_code == 422


def test_going_back_keeps_the_answers(client, on_call):
    step(client, on_call, answer="reached")
    step(client, on_call, friction=["financing"], notes="wants instalments")
    page = client.post(f"/agent/calls/{on_call.pk}/back/2/", **HTMX).content.decode()
    assert "2 · Friction" in page and "wants instalments" in page and 'value="financing" checked' in page


def test_passing_a_cart_needs_a_reason_and_skips_the_call(client, agent, cart):
    client.force_login(agent)
    client.post("/agent/next/")
    call = Call.objects.get(agent=agent)
    page = client.post(f"/agent/calls/{call.pk}/pass/", **HTMX).content.decode()
    assert "Not called (passed)" in page and "Left a voicemail" not in page
    assert step(client, call, disposition="not_called", then="home").status_code == 422
    step(client, call, disposition="not_called", pass_reason="test_or_duplicate", then="home")
    call.refresh_from_db()
    assert call.wrapped_up_at is not None and call.attempt is None and call.pass_reason == "test_or_duplicate"


def test_wrap_up_then_next_takes_the_next_cart(client, on_call, shopify_store):
    other = CustomerFactory(store=shopify_store, phone="+12125550182", region="NY")
    second = CartFactory(store=shopify_store, customer=other, route="call_first", priority_score=50,
                         platform_created_at=NOW - timedelta(minutes=30))
    step(client, on_call, answer="no_answer")
    response = step(client, on_call, disposition="no_answer", then="next")
    call = Call.objects.get(cart=second)
    assert response["HX-Redirect"] == f"/agent/calls/{call.pk}/"


def test_an_agent_cannot_open_someone_elses_call(client, on_call):
    client.force_login(UserFactory(username="sam", role="Recovery specialists"))
    assert client.get(f"/agent/calls/{on_call.pk}/").status_code == 404
    assert step(client, on_call, answer="reached").status_code == 404


def test_the_cart_screen_costs_the_same_queries_however_long_the_history(client, on_call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compliance.models import ContactDecision

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/agent/calls/{on_call.pk}/").status_code == 200
        return len(captured)

    short = queries()
    for hours in range(1, 26):
        decision = ContactDecision.objects.create(at=NOW - timedelta(hours=hours), requester="task:recovery_message:1",
                                                  store=on_call.cart.store, email="jane.call@example.com",
                                                  channel="email", allowed=True)
        ContactAttempt.objects.create(decision=decision, store=on_call.cart.store, cart=on_call.cart, channel="email",
                                      email="jane.call@example.com", at=decision.at, outcome="sent")
    assert queries() == short


def test_a_passed_cart_is_not_dialed_and_its_line_says_so(client, agent, cart):
    # given an agent who passed the cart they were handed
    client.force_login(agent)
    client.post("/agent/next/")
    call = Call.objects.get(agent=agent)
    page = client.post(f"/agent/calls/{call.pk}/pass/", **HTMX).content.decode()
    # the pass redraws the line: no Dial button is left to press
    assert 'id="line"' in page and 'hx-swap-oob="true"' in page and "Passed: not to be dialed" in page
    assert 'id="dial"' not in page

    # when a dial still comes (a tab left open, a late D)
    response = client.post(f"/agent/calls/{call.pk}/dial/", **HTMX)

    # then nobody is dialed, and the line says why
    assert response.status_code == 422
    assert "You passed this cart: it is not dialed" in response.content.decode()
    call.refresh_from_db()
    assert call.attempt is None and not ContactAttempt.objects.exists()


def test_a_refusal_without_a_form_on_the_step_is_said_at_the_top_of_the_step(client, on_call):
    # given a dialed call at the friction step
    step(client, on_call, answer="reached")

    # when a pass comes from a line that was not redrawn since
    response = client.post(f"/agent/calls/{on_call.pk}/pass/", **HTMX)

    # then it is refused at the top of the step, and the line is redrawn without a Pass button
    page = response.content.decode()
    assert response.status_code == 422
    assert '<p class="error" role="alert" id="step-error">This call was dialed: go through the wrap-up.' in page
    assert 'hx-swap-oob="true"' in page and 'id="pass-cart"' not in page


def test_a_services_refusal_shows_next_to_the_field_it_is_about(client, on_call):
    step(client, on_call, answer="reached")
    step(client, on_call, friction=["financing"])

    # the form is valid, the service refuses: nothing offered
    page = step(client, on_call, resolved="yes", other_offer="  ").content.decode()

    assert '<p class="error field-error" role="alert" id="step-other_offer-error">Note what you offered' in page
    assert 'name="other_offer" maxlength="300" value="  " aria-invalid="true" ' \
           'aria-describedby="step-other_offer-error" autofocus' in page
    assert 'id="step-error"' not in page  # said once, where it belongs
