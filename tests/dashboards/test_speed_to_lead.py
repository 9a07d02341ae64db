"""Speed to lead: the time from a cart entering the queue to its first attempt, and breaches of 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compliance.models import DncList
from compliance.services import contact_attempt_start
from dashboards.selectors import speed_to_lead
from recovery.models import Cart
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def call_first_cart(store, *, queued_minutes_ago: int, phone: str = "+12125550100") -> Cart:
    customer = CustomerFactory(store=store, phone=phone, region="NY")
    return CartFactory(store=store, customer=customer, route="call_first",
                       workable_since=NOW - timedelta(minutes=queued_minutes_ago),
                       platform_created_at=NOW - timedelta(minutes=queued_minutes_ago + 10))


def test_first_attempt_is_recorded_once_and_breaches_are_counted(shopify_store):
    DncList.objects.create(name="national", kind="national", last_full_import_at=NOW - timedelta(days=1))
    quick = call_first_cart(shopify_store, queued_minutes_ago=3, phone="+12125550101")
    late = call_first_cart(shopify_store, queued_minutes_ago=12, phone="+12125550102")
    call_first_cart(shopify_store, queued_minutes_ago=7, phone="+12125550103")  # still waiting: a breach
    call_first_cart(shopify_store, queued_minutes_ago=2, phone="+12125550104")  # waiting, within the rule

    for cart in (quick, late):
        decision, attempt = contact_attempt_start(channel="voice", store=shopify_store, phone=str(cart.customer.phone),
                                                  cart=cart, at=NOW)
        assert decision.allowed, decision.messages
    contact_attempt_start(channel="voice", store=shopify_store, phone="+12125550101", cart=quick,
                          at=NOW + timedelta(hours=3))

    quick.refresh_from_db()
    assert quick.first_attempt_at == NOW
    speed = speed_to_lead(now=NOW)
    assert (speed["waiting_past_rule"], speed["attempted"], speed["attempted_late"]) == (1, 2, 1)


def test_supervisors_see_the_five_minute_rule_on_the_home_page(client, supervisor_user, agent_user, shopify_store):
    call_first_cart(shopify_store, queued_minutes_ago=60 * 24 * 365)
    client.force_login(supervisor_user)

    page = client.get("/")

    assert b"waiting longer than 5 minutes" in page.content
    client.force_login(agent_user)
    assert b"5-minute rule" not in client.get("/").content
