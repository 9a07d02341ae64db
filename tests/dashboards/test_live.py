"""The live view: queue depth by route and age, the 5-minute rule now, agents, callbacks, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from agents.models import AgentNotice, AgentProfile, Call, Callback
from agents.services.calls import agent_status_set
from agents.services.duty import agent_work_stop
from compliance.models import DncList
from core.access import AGENT, SUPERVISOR
from dashboards.live import floor_now
from dashboards.services import alerts_email
from recovery.models import Cart
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory, attempt

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def floor(shopify_store):
    def cart(minutes: float, route="call_first", **fields):
        return CartFactory(store=shopify_store, route=route, workable_since=NOW - timedelta(minutes=minutes),
                           **fields)

    oldest = cart(45)  # past the rule
    cart(7)  # past the rule
    cart(3)  # within it
    cart(20, first_attempt_at=NOW - timedelta(minutes=15), next_call_at=NOW + timedelta(hours=4))  # called
    cart(3 * 60, route="automated_first")
    cart(2 * 24 * 60, route="automated_first")
    cart(50, in_control_group=True)  # never counted
    maya = UserFactory(username="maya", first_name="Maya", role=AGENT)
    sam = UserFactory(username="sam", first_name="Sam", role=AGENT)
    AgentProfile.objects.create(user=maya, status="available", status_since=NOW - timedelta(minutes=6))
    AgentProfile.objects.create(user=sam, status="on_call", status_since=NOW - timedelta(minutes=3))
    Call.objects.create(cart=oldest, agent=sam, opened_at=NOW - timedelta(minutes=3))
    Callback.objects.create(cart=oldest, agent=sam, due_at=NOW + timedelta(minutes=10),
                            customer_timezone="America/New_York", local_time="2026-11-18 10:10")
    return oldest


def test_queue_depth_by_route_and_age(floor):
    depth = floor_now(now=NOW)["depth"]
    call_first, automated, ready = depth
    assert (call_first["total"], call_first["buckets"]) == (4, [1, 2, 1, 0, 0])
    assert (automated["total"], automated["buckets"]) == (2, [0, 0, 0, 1, 1])
    assert ready["total"] == 3


def test_breaches_of_the_five_minute_rule_now(floor):
    state = floor_now(now=NOW)
    assert state["breach_count"] == 2 and state["oldest"][0] == floor


def test_agents_and_idle_alerts(floor):
    state = floor_now(now=NOW)
    maya, sam = state["agents"]
    assert (maya.name, maya.status, maya.idle) == ("Maya", "available", True)
    assert (sam.status, sam.call_started, sam.idle) == ("on_call", NOW - timedelta(minutes=3), False)
    kinds = [alert.kind for alert in state["alerts"]]
    assert kinds == ["five_minute_rule", "five_minute_rule", "idle_agent"]
    assert len(state["callbacks"]) == 1


def test_alerts_are_emailed_once_when_asked_for(floor, settings):
    settings.LIVE_ALERT_EMAILS = []
    assert alerts_email(now=NOW) == 0 and mail.outbox == []
    settings.LIVE_ALERT_EMAILS = ["floor.lead@example.com"]
    assert alerts_email(now=NOW) == 3
    assert alerts_email(now=NOW + timedelta(minutes=1)) == 0
    (email,) = mail.outbox
    assert email.to == ["floor.lead@example.com"] and "3 alerts" in email.subject
    assert "has waited 45\xa0minutes for a first call" in email.body and "/dashboards/live/" in email.body


def test_the_live_page_and_its_self_refreshing_panel(client, supervisor_user, floor):
    client.force_login(supervisor_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/live/").content.decode()
        panel = client.get("/dashboards/live/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 5s"' in page and "<html" in page
    assert "<html" not in panel and 'id="live-breaches"' in panel
    assert "Idle agent" in panel and "5-minute rule now: <span data-count=\"2\">2</span>" in panel


def test_agents_do_not_see_the_live_view(client, agent_user):
    client.force_login(agent_user)
    assert client.get("/dashboards/live/").status_code == 403


def test_the_floor_shows_why_an_agent_is_away_and_each_agents_day(client, supervisor_user, floor):
    # given: Sam's call was dialed; Kim went to lunch
    sam_call = Call.objects.get(agent__username="sam")
    sam_call.attempt = attempt(floor, "voice", NOW - timedelta(minutes=3), agent=sam_call.agent)
    sam_call.save(update_fields=["attempt"])
    kim = UserFactory(username="kim", first_name="Kim", role=AGENT)
    AgentProfile.objects.create(user=kim, status="away", away_reason="lunch", status_since=NOW)
    client.force_login(supervisor_user)

    # when
    with time_machine.travel(NOW, tick=False):
        panel = client.get("/dashboards/live/", HTTP_HX_REQUEST="true").content.decode()

    # then
    kim_row = panel[panel.index(f'id="live-agent-{kim.pk}"'):]
    assert '<span class="away-reason">Lunch</span>' in kim_row[:kim_row.index("</tr>")]
    sam_row = panel[panel.index(f'id="live-agent-{sam_call.agent_id}"'):]
    assert '<td class="num" data-figure="calls">1</td>' in sam_row[:sam_row.index("</tr>")]
    assert "Occupancy" in panel and "Calls/h" in panel


def test_an_agent_who_stopped_is_not_flagged_idle(floor):
    # given: Maya stopped after her last call ("Save and stop")
    maya = AgentProfile.objects.get(user__username="maya")
    agent_work_stop(user=maya.user)

    # then
    state = floor_now(now=NOW)
    assert [alert.kind for alert in state["alerts"]] == ["five_minute_rule", "five_minute_rule"]


def test_a_supervisor_hands_a_waiting_cart_from_the_alert_or_is_told_why_not(client, supervisor_user, floor,
                                                                             shopify_store):
    # given: the customer is in New York, in calling hours, and the national list is fresh
    DncList.objects.create(name="national", kind="national", last_full_import_at=NOW - timedelta(days=1))
    maya = AgentProfile.objects.get(user__username="maya").user
    customer = CustomerFactory(store=shopify_store, phone="+12125550199", region="NY")
    waiting = CartFactory(store=shopify_store, customer=customer, route="call_first",
                          workable_since=NOW - timedelta(minutes=10), platform_created_at=NOW - timedelta(hours=1))
    AgentProfile.objects.create(user=supervisor_user).stores.add(shopify_store)
    client.force_login(supervisor_user)

    # when: the page shows the action; then the agent goes away before the supervisor's click lands
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/live/").content.decode()
        agent_status_set(maya, AgentProfile.Status.AWAY, reason="meeting")
        refused = client.post("/dashboards/live/hand/", {"cart": waiting.pk, "agent": maya.pk},
                              HTTP_HX_REQUEST="true")
        agent_status_set(maya, AgentProfile.Status.AVAILABLE)
        done = client.post("/dashboards/live/hand/", {"cart": waiting.pk, "agent": maya.pk}, HTTP_HX_REQUEST="true")

    # then
    assert f'name="cart" value="{waiting.pk}"' in page and "Hand over" in page
    assert refused.status_code == 422, refused.content.decode()[:300]
    assert done.status_code == 200, done.content.decode()[:300]
    assert "Not done: Maya has gone away (meeting): choose an available agent." in refused.content.decode()
    assert done.status_code == 200 and f"Cart {waiting.pk} handed to Maya" in done.content.decode()
    assert 'hx-swap-oob="innerHTML"' in done.content.decode() and "held by Maya" in done.content.decode()
    assert Cart.objects.get(pk=waiting.pk).reserved_by == maya


def test_another_stores_supervisor_cannot_hand_or_notify(client, floor):
    # given: Maya works the Shopify store only; Riley supervises another store
    other = UserFactory(username="riley", role=SUPERVISOR)
    AgentProfile.objects.create(user=other).stores.add(StoreFactory(name="Other store"))
    maya = AgentProfile.objects.get(user__username="maya")
    maya.stores.add(floor.store)
    maya = maya.user
    client.force_login(other)

    # when
    hand = client.post("/dashboards/live/hand/", {"cart": floor.pk, "agent": maya.pk}, HTTP_HX_REQUEST="true")
    notice = client.post("/dashboards/live/notice/", {"agent": maya.pk, "text": "Hi"}, HTTP_HX_REQUEST="true")

    # then
    assert hand.status_code == notice.status_code == 422
    assert "not on your team" in hand.content.decode() and "not on your team" in notice.content.decode()
    assert not AgentNotice.objects.exists()
