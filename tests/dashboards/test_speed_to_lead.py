"""Speed to lead: the time from a cart entering the queue to its first attempt, and breaches of 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compliance.models import DncList
from dashboards.selectors import waiting_past_rule
from recovery.models import Cart
from recovery.services.attempts import cart_contact_attempt_start as contact_attempt_start
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def call_first_cart(store, *, queued_minutes_ago: int, phone: str = "+12125550100") -> Cart:
    customer = CustomerFactory(store=store, phone=phone, region="NY")
    return CartFactory(store=store, customer=customer, route="call_first",
                       workable_since=NOW - timedelta(minutes=queued_minutes_ago),
                       platform_created_at=NOW - timedelta(minutes=queued_minutes_ago + 10))


def test_first_attempt_is_recorded_once_and_carts_waiting_past_the_rule_are_counted(shopify_store):
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
    assert waiting_past_rule(now=NOW)["count"] == 1


def test_supervisors_see_the_five_minute_rule_on_the_home_page(client, supervisor_user, agent_user, shopify_store):
    call_first_cart(shopify_store, queued_minutes_ago=60 * 24 * 365)
    client.force_login(supervisor_user)

    page = client.get("/")

    assert b"waiting longer than 5 minutes" in page.content
    client.force_login(agent_user)
    assert b"5-minute rule" not in client.get("/").content


@pytest.mark.django_db
def test_the_script_funnel_shows_where_calls_are_lost(client, supervisor_user, shopify_store, build_rollups):
    from django.utils import timezone

    from agents.models import Call
    from compliance.models import ContactAttempt, ContactDecision
    from tests.factories import CartFactory

    def dialed_call(steps: list[int], disposition: str = "") -> Call:
        cart = CartFactory(store=shopify_store)
        decision = ContactDecision.objects.create(at=timezone.now(), requester="agent", store=shopify_store,
                                                  phone="+12125550100", channel="voice", allowed=True)
        attempt = ContactAttempt.objects.create(decision=decision, store=shopify_store, cart=cart, channel="voice",
                                                phone="+12125550100", at=decision.at, outcome="x")
        return Call.objects.create(cart=cart, agent=supervisor_user, attempt=attempt, opened_at=timezone.now(),
                                   wrapped_up_at=timezone.now(), disposition=disposition,
                                   step_times={str(step): "2026-11-23T10:00:00+00:00" for step in steps})

    dialed_call([1, 6, 7], "no_answer")
    dialed_call([1, 2, 3, 6, 7], "not_interested")
    dialed_call([1, 2, 3, 4, 5, 6, 7], "recovered")
    dialed_call([1, 2, 3, 4, 5, 6, 7], "link_sent")
    build_rollups()
    client.force_login(supervisor_user)

    page = client.get("/").content.decode()

    funnel = page[page.index('id="script-funnel"'):]
    for label, count, share in (("Dialed", 4, 100), ("Friction", 3, 75), ("Objections", 3, 75), ("Value", 2, 50),
                                ("Completion", 2, 50), ("Recovered on the call", 1, 25)):
        assert f'<td>{label}</td><td class="num">{count}</td><td class="num">{share}%</td>' in funnel
