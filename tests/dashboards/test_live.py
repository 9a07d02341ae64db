"""The live view: queue depth by route and age, the 5-minute rule now, agents, callbacks, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from agents.models import AgentProfile, Call, Callback
from core.access import AGENT
from dashboards.live import floor_now
from dashboards.services import alerts_email
from tests.factories import CartFactory, UserFactory

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
