"""What a supervisor does from the floor's alerts: hand a waiting cart to an agent (with the queue's and the gate's
rules), send an agent a notice; and the agent's side: away with a reason, the notices on the console."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from agents.models import AgentNotice, AgentProfile, AgentStatusChange, Call
from agents.selectors import agents_day_figures
from agents.services import LEASE, next_cart
from agents.services.calls import agent_status_set
from agents.services.floor import agent_notice_dismiss, agent_notice_send, cart_hand_to_agent
from compliance.models import AuditEvent
from core.access import AGENT, SUPERVISOR
from recovery.models import Cart
from tests.agents.helpers import NOW, open_cart
from tests.factories import StoreFactory, UserFactory, add_entry, attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya(db):
    """An agent, available for ten minutes."""
    user = UserFactory(username="maya", first_name="Maya", role=AGENT)
    agent_status_set(user, AgentProfile.Status.AVAILABLE, now=NOW - timedelta(minutes=10))
    return user


@pytest.fixture
def lead(shopify_store):
    """The supervisor of the Shopify store."""
    user = UserFactory(username="lead", first_name="Lee", role=SUPERVISOR)
    AgentProfile.objects.create(user=user).stores.add(shopify_store)
    return user


@pytest.fixture
def waiting(shopify_store, national):
    """A call-first cart nobody has called, in calling hours in New York."""
    return open_cart(shopify_store, phone="+12125550141", score=80)


def hand(cart, agent, lead, **kwargs):
    return cart_hand_to_agent(cart_id=cart.pk, agent_id=agent.pk, by=lead, scope=frozenset({cart.store_id}),
                              now=kwargs.pop("now", NOW), **kwargs)


def test_a_handed_cart_is_leased_to_the_agent_told_on_their_console_audited_and_opens_on_next_cart(
        waiting, maya, lead):
    # when
    notice = hand(waiting, maya, lead)

    # then
    waiting.refresh_from_db()
    assert (waiting.reserved_by, waiting.reserved_until) == (maya, NOW + LEASE)
    assert notice.agent == maya and notice.cart == waiting and "Lee handed you" in notice.text
    event = AuditEvent.objects.get(action="handed_out")
    assert event.subject_id == str(waiting.pk) and "to Maya" in event.summary
    assert next_cart(maya, now=NOW + timedelta(minutes=1)) == waiting


@pytest.mark.parametrize(("away", "sentence"), [("lunch", "Maya has gone away (lunch)"),
                                                ("", "Maya has gone away: choose")])
def test_an_agent_who_went_away_is_refused(waiting, maya, lead, away, sentence):
    # given
    agent_status_set(maya, AgentProfile.Status.AWAY, reason=away, now=NOW)

    # when / then
    with pytest.raises(ValidationError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        hand(waiting, maya, lead)
    assert Cart.objects.get(pk=waiting.pk).reserved_by is None and not AgentNotice.objects.exists()


def test_an_agent_on_a_call_or_holding_a_cart_is_refused(shopify_store, waiting, maya, lead):
    # given: Maya holds another cart
    other = open_cart(shopify_store, phone="+12125550142", score=90)
    assert next_cart(maya, now=NOW) == other

    # then
    with pytest.raises(ValidationError, match="already holds a cart"):
        hand(waiting, maya, lead)

    # given: and then a call on it
    Call.objects.create(cart=other, agent=maya, opened_at=NOW)
    with pytest.raises(ValidationError, match="on a call"):
        hand(waiting, maya, lead)


def test_a_cart_another_agent_holds_is_refused(waiting, maya, lead):
    # given
    sam = UserFactory(username="sam", first_name="Sam", role=AGENT)
    assert next_cart(sam, now=NOW) == waiting

    # then
    with pytest.raises(ValidationError, match="Sam is working that cart already"):
        hand(waiting, maya, lead)


def test_the_gate_decides_whether_the_customer_may_be_called(waiting, maya, lead, national):
    # given
    add_entry(national, "+12125550141")

    # then
    with pytest.raises(ValidationError, match="compliance gate does not allow"):
        hand(waiting, maya, lead)
    assert Cart.objects.get(pk=waiting.pk).reserved_by is None


def test_outside_calling_hours_the_gate_refuses(waiting, maya, lead):
    with pytest.raises(ValidationError, match="compliance gate does not allow"):
        hand(waiting, maya, lead, now=NOW.replace(hour=4))  # 23:00 in New York


def test_a_supervisor_acts_only_within_their_stores(waiting, maya, lead):
    # given: Maya works another store only; another store's cart
    elsewhere = StoreFactory(name="Elsewhere")
    AgentProfile.objects.get(user=maya).stores.add(elsewhere)

    # then: an admin (every store) may not hand her this store's cart; her store's supervisor does not see it
    with pytest.raises(ValidationError, match=f"Maya does not work {waiting.store.name}"):
        cart_hand_to_agent(cart_id=waiting.pk, agent_id=maya.pk, by=lead, scope=None, now=NOW)
    with pytest.raises(ValidationError, match="not in your stores"):
        cart_hand_to_agent(cart_id=waiting.pk, agent_id=maya.pk, by=lead, scope=frozenset({elsewhere.pk}), now=NOW)


def test_an_agent_outside_the_team_is_refused(waiting, lead):
    # given: Kim works only a store the supervisor does not see
    kim = UserFactory(username="kim", role=AGENT)
    AgentProfile.objects.create(user=kim, status="available", status_since=NOW).stores.add(StoreFactory())

    # then
    with pytest.raises(ValidationError, match="not on your team"):
        hand(waiting, kim, lead)


def test_an_agent_at_their_hourly_limit_is_refused(waiting, maya, lead):
    # given
    AgentProfile.objects.filter(user=maya).update(max_attempts_per_hour=1)
    attempt(waiting, "voice", NOW - timedelta(minutes=20), agent=maya, outcome="no_answer")

    # then
    with pytest.raises(ValidationError, match="limit of calls for this hour"):
        hand(waiting, maya, lead)


def test_notices_reach_only_the_team_and_only_their_agent_dismisses_them(shopify_store, maya, lead):
    # when
    notice = agent_notice_send(agent_id=maya.pk, by=lead, text="  Please take   the next cart ",
                               scope=frozenset({shopify_store.pk}))

    # then
    assert notice.text == "Please take the next cart"
    with pytest.raises(ValidationError, match="Write the notice first"):
        agent_notice_send(agent_id=maya.pk, by=lead, text=" ", scope=None)
    with pytest.raises(ValidationError, match="not on your team"):
        agent_notice_send(agent_id=lead.pk, by=lead, text="Hi", scope=None)  # a supervisor is not an agent
    assert agent_notice_dismiss(notice_id=notice.pk, agent=lead) == 0
    assert agent_notice_dismiss(notice_id=notice.pk, agent=maya, now=NOW) == 1
    assert AgentNotice.objects.get(pk=notice.pk).dismissed_at == NOW


def test_the_console_polls_the_notices_and_dismisses_them(client, maya, lead):
    # given
    notice = agent_notice_send(agent_id=maya.pk, by=lead, text="Team huddle at 11", scope=None)
    client.force_login(maya)

    # when
    polled = client.get("/agent/notices/", HTTP_HX_REQUEST="true").content.decode()
    dismissed = client.post("/agent/notices/dismiss/", {"notice": notice.pk}, HTTP_HX_REQUEST="true")
    again = client.post("/agent/notices/dismiss/", {"notice": notice.pk}, HTTP_HX_REQUEST="true")

    # then
    assert "Team huddle at 11" in polled and "From Lee" in polled and "<html" not in polled
    assert dismissed.status_code == 200 and "Team huddle" not in dismissed.content.decode()
    assert again.status_code == 422 and "That notice is gone." in again.content.decode()


def test_away_takes_a_reason_which_the_status_log_keeps(client, maya):
    # given
    client.force_login(maya)

    # when
    refused = client.post("/agent/status/", {"status": "away"}, follow=True)
    client.post("/agent/status/", {"status": "away", "reason": "lunch"})

    # then
    assert "Choose why you are away" in refused.content.decode()
    profile = AgentProfile.objects.get(user=maya)
    assert (profile.status, profile.away_reason, profile.is_available) == ("away", "lunch", False)
    assert AgentStatusChange.objects.filter(agent=maya).latest("at").away_reason == "lunch"
    assert "Away (lunch)" in client.get("/agent/").content.decode()


def test_coming_back_clears_the_reason(maya):
    agent_status_set(maya, AgentProfile.Status.AWAY, reason="training", now=NOW)
    profile = agent_status_set(maya, AgentProfile.Status.AVAILABLE, now=NOW + timedelta(minutes=30))
    assert (profile.status, profile.away_reason) == ("available", "")


def test_an_agents_day_so_far(shopify_store, maya):
    """Two dialed calls (one reached, 4 minutes on the line; one not answered) and one passed, over an hour on
    duty of which 20 minutes on calls and wrap-ups."""
    # given: the status log since 14:00 (and a change before midnight, which does not count)
    start = NOW - timedelta(hours=1)
    AgentStatusChange.objects.filter(agent=maya).delete()
    for status, minutes in (("available", 0), ("on_call", 10), ("wrap_up", 20), ("available", 25),
                            ("on_call", 40), ("available", 45), ("away", 50), ("available", 55)):
        AgentStatusChange.objects.create(agent=maya, status=status, at=start + timedelta(minutes=minutes))

    def call(opened: int, wrapped: int | None, *, answer: str, talk: int | None = None, dialed: bool = True):
        cart = open_cart(shopify_store, phone=f"+121255501{opened:02d}", score=50)
        opened_at = start + timedelta(minutes=opened)
        dial = attempt(cart, "voice", opened_at, agent=maya, outcome=answer) if dialed else None
        answered = opened_at + timedelta(minutes=1) if talk else None
        Call.objects.create(cart=cart, agent=maya, attempt=dial, opened_at=opened_at, answer=answer,
                            wrapped_up_at=start + timedelta(minutes=wrapped) if wrapped else None,
                            answered_at=answered, ended_at=answered + timedelta(seconds=talk) if talk else None)

    call(10, 25, answer="reached", talk=240)
    call(40, 45, answer="no_answer")
    call(46, 47, answer="", dialed=False)  # passed: not a call

    # when
    day = agents_day_figures([maya.pk], now=NOW)[maya.pk]

    # then
    assert (day.calls, day.reached, day.talk_seconds, day.handled) == (2, 1, 240, 2)
    assert day.average_handle_seconds == (15 * 60 + 5 * 60) / 2
    assert (day.duty_seconds, day.busy_seconds) == (55 * 60, 20 * 60)
    assert day.occupancy == pytest.approx(20 / 55)
    assert day.calls_per_hour == pytest.approx(2 / (55 / 60))


def test_an_agent_lands_on_the_console_and_a_supervisor_on_the_figures(client, maya, lead):
    with time_machine.travel(NOW, tick=False):
        agent_lands = client.post("/login/", {"username": "maya", "password": "pw"}, REMOTE_ADDR="198.51.100.9")
        client.post("/logout/")
        lead_lands = client.post("/login/", {"username": "lead", "password": "pw"}, REMOTE_ADDR="198.51.100.9")
    assert agent_lands["Location"] == "/agent/"
    assert lead_lands["Location"] == "/"
