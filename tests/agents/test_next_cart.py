"""The work queue hands out the best cart that may be called now, to one agent at a time."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from agents.models import AgentProfile
from agents.services import LEASE, call_retries_release, cart_release, next_cart
from compliance.models import DncList
from recovery.models import Cart
from tests.agents.helpers import NOW, open_cart
from tests.factories import StoreFactory, UserFactory, add_entry


@pytest.mark.django_db
def test_best_compliant_call_first_cart_is_reserved(shopify_store, national):
    agent = UserFactory(username="maya")
    listed = open_cart(shopify_store, phone="+12125550111", score=90)
    add_entry(national, "+12125550111")
    open_cart(shopify_store, phone="+12125550112", score=95, route="automated_first")
    best = open_cart(shopify_store, phone="+12125550113", score=80)
    open_cart(shopify_store, phone="+12125550114", score=70)

    cart = next_cart(agent, now=NOW)

    assert cart == best
    best.refresh_from_db()
    assert (best.reserved_by, best.reserved_until) == (agent, NOW + LEASE)
    assert Cart.objects.get(pk=listed.pk).reserved_by is None


@pytest.mark.django_db
def test_an_agent_keeps_its_cart_until_released_and_others_get_the_next(shopify_store, national):
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    first = open_cart(shopify_store, phone="+12125550121", score=80)
    second = open_cart(shopify_store, phone="+12125550122", score=70)

    assert next_cart(maya, now=NOW) == first
    assert next_cart(maya, now=NOW + timedelta(minutes=1)) == first
    assert next_cart(sam, now=NOW) == second
    assert next_cart(UserFactory(username="kim"), now=NOW) is None

    assert cart_release(agent=maya, cart_id=first.pk)
    assert next_cart(UserFactory(username="lee"), now=NOW) == first


@pytest.mark.django_db
def test_a_lapsed_lease_returns_the_cart_to_the_queue(shopify_store, national):
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    cart = open_cart(shopify_store, phone="+12125550131", score=80)
    next_cart(maya, now=NOW)

    assert next_cart(sam, now=NOW + LEASE - timedelta(seconds=1)) is None
    assert next_cart(sam, now=NOW + LEASE) == cart


@pytest.mark.django_db
def test_agents_only_get_their_stores(shopify_store, national):
    other_store = StoreFactory()
    open_cart(other_store, phone="+12125550141", score=99)
    mine = open_cart(shopify_store, phone="+12125550142", score=10)
    maya = UserFactory(username="maya")
    AgentProfile.objects.create(user=maya).stores.add(shopify_store)

    assert next_cart(maya, now=NOW) == mine


@pytest.mark.django_db(transaction=True)
def test_twenty_agents_never_hold_the_same_cart_at_once():
    # given 30 callable carts and 20 agents asking 200 times each, releasing after each "call"
    store = StoreFactory()
    DncList.objects.create(name="national", kind="national", last_full_import_at=NOW - timedelta(days=1))
    for n in range(30):
        open_cart(store, phone=f"+1212555{n + 200:04d}", score=float(n))
    agents = [UserFactory(username=f"agent{n}") for n in range(20)]
    holds: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    lock = threading.Lock()

    def work(agent) -> None:
        try:
            for _ in range(200):
                cart = next_cart(agent, now=NOW)
                if cart is None:
                    continue
                start = time.monotonic()
                time.sleep(0.001)  # the "call": long enough for a double hand-out to show as an overlap
                end = time.monotonic()
                with lock:
                    holds[cart.pk].append((start, end, agent.pk))
                cart_release(agent=agent, cart_id=cart.pk)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=work, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then no two agents' holds of one cart overlap in time
    handed_out = sum(len(spans) for spans in holds.values())
    assert handed_out > 1000
    for spans in holds.values():
        spans.sort()
        for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
            assert start >= end


@pytest.mark.django_db
def test_wrap_up_is_required_before_the_next_cart(shopify_store, national):
    from agents.services import WrapUpRequired
    from compliance.services import contact_attempt_finish
    from recovery.services.attempts import cart_contact_attempt_start as contact_attempt_start

    maya = UserFactory(username="maya")
    first = open_cart(shopify_store, phone="+12125550151", score=80)
    open_cart(shopify_store, phone="+12125550152", score=70)
    assert next_cart(maya, now=NOW) == first
    _, attempt = contact_attempt_start(channel="voice", store=shopify_store, phone="+12125550151", cart=first,
                                       agent=maya, at=NOW)
    cart_release(agent=maya, cart_id=first.pk)

    with pytest.raises(WrapUpRequired):
        next_cart(maya, now=NOW + timedelta(minutes=5))

    contact_attempt_finish(attempt=attempt, outcome="no_answer", duration_seconds=30)
    assert next_cart(maya, now=NOW + timedelta(minutes=5)) is not None


@pytest.mark.django_db
def test_hourly_limit_is_a_guardrail(shopify_store, national):
    from agents.services import HourlyLimitReached
    from compliance.services import contact_attempt_finish
    from recovery.services.attempts import cart_contact_attempt_start as contact_attempt_start

    maya = UserFactory(username="maya")
    AgentProfile.objects.create(user=maya, max_attempts_per_hour=1)
    cart = open_cart(shopify_store, phone="+12125550161", score=80)
    open_cart(shopify_store, phone="+12125550162", score=70)
    _, attempt = contact_attempt_start(channel="voice", store=shopify_store, phone="+12125550161", cart=cart,
                                       agent=maya, at=NOW)
    contact_attempt_finish(attempt=attempt, outcome="no_answer")

    with pytest.raises(HourlyLimitReached):
        next_cart(maya, now=NOW + timedelta(minutes=10))
    assert next_cart(maya, now=NOW + timedelta(minutes=61)) is not None


@pytest.mark.django_db
def test_agents_get_customers_in_their_languages_or_of_unknown_language(shopify_store, national):
    spanish = open_cart(shopify_store, phone="+12125550171", score=99)
    spanish.customer.language = "es"
    spanish.customer.save()
    unknown = open_cart(shopify_store, phone="+12125550172", score=50)
    unknown.customer.language = ""
    unknown.customer.save()
    maya, sofia = UserFactory(username="maya"), UserFactory(username="sofia")
    AgentProfile.objects.create(user=maya, languages="en")
    AgentProfile.objects.create(user=sofia, languages="en, es")

    assert next_cart(maya, now=NOW) == unknown
    assert next_cart(sofia, now=NOW) == spanish


@pytest.mark.django_db
def test_a_cart_that_may_never_be_called_leaves_the_queue_for_the_automated_sequence(shopify_store, national):
    listed = open_cart(shopify_store, phone="+12125550191", score=90)
    add_entry(national, "+12125550191")
    workable = open_cart(shopify_store, phone="+12125550192", score=80)

    assert next_cart(UserFactory(username="maya"), now=NOW) == workable

    listed.refresh_from_db()
    assert listed.route == "automated_first" and listed.calls_ended_at == NOW and listed.status == "open"
    assert "National registry" in listed.priority_reason
    assert listed.next_message_step == 1  # the emails take over


@pytest.mark.django_db
def test_a_cart_outside_calling_hours_waits_until_they_open(shopify_store, national):
    honolulu = open_cart(shopify_store, phone="+18085550193", score=95)
    honolulu.customer.region = "HI"
    honolulu.customer.save()
    workable = open_cart(shopify_store, phone="+12125550194", score=80)

    assert next_cart(UserFactory(username="maya"), now=NOW) == workable  # 05:00 in Honolulu

    honolulu.refresh_from_db()
    opens = datetime(2026, 11, 18, 18, 0, tzinfo=UTC)  # 08:00 in Honolulu
    assert honolulu.next_call_at == opens
    call_retries_release(now=opens)  # beat puts it back in the ready queue
    assert next_cart(UserFactory(username="sam"), now=opens) == honolulu


@pytest.mark.django_db
def test_a_request_screens_at_most_its_limit_and_leaves_nothing_reserved(shopify_store, national):
    # given more refused carts (Honolulu before 08:00) at the head of the queue than one request screens
    from agents.services.queue import SCREEN_LIMIT

    refused = []
    for number in range(SCREEN_LIMIT + 1):
        cart = open_cart(shopify_store, phone=f"+1808555{number:04d}", score=99 - number / 100)
        cart.customer.region = "HI"
        cart.customer.save()
        refused.append(cart)
    workable = open_cart(shopify_store, phone="+12125550195", score=10)
    maya = UserFactory(username="maya")

    # when the agent asks
    first = next_cart(maya, now=NOW)

    # then the request gives up after its limit, every cart it looked at parked, none held by the agent
    assert first is None
    assert not Cart.objects.filter(reserved_by=maya).exists()
    parked = Cart.objects.filter(pk__in=[cart.pk for cart in refused], next_call_at__isnull=False).count()
    assert parked == SCREEN_LIMIT
    # and the next request starts past them
    assert next_cart(maya, now=NOW) == workable


@pytest.mark.django_db
def test_a_due_callback_comes_before_the_queue_and_the_queue_is_read_after_it(shopify_store, national):
    from agents.models import Callback

    maya = UserFactory(username="maya")
    best = open_cart(shopify_store, phone="+12125550196", score=99)
    asked = open_cart(shopify_store, phone="+12125550197", score=10)
    Callback.objects.create(cart=asked, agent=maya, due_at=NOW - timedelta(minutes=1),
                            customer_timezone="America/New_York", local_time="2026-11-18 09:59")

    assert next_cart(maya, now=NOW) == asked  # the first statement leaves the queue alone
    assert Cart.objects.get(pk=best.pk).reserved_by is None
    cart_release(agent=maya, cart_id=asked.pk)
    assert next_cart(UserFactory(username="sam"), now=NOW) == best  # a callback due for maya, none for sam: read on


@pytest.mark.django_db
def test_the_queue_and_gate_statements_are_planned_once_per_session(shopify_store, national):
    # given a session that has run next_cart's statements more often than PostgreSQL tries custom plans (5)
    for number in range(8):
        open_cart(shopify_store, phone=f"+1212555016{number}", score=50 + number)
    agents = [UserFactory(username=f"agent{number}") for number in range(8)]

    # when each agent asks for a cart
    handed = [next_cart(agent, now=NOW) for agent in agents]

    # then every cart was handed, and no statement was planned again for its parameters
    assert None not in handed
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
        cursor.execute("SELECT name, custom_plans FROM pg_prepared_statements "
                       "WHERE name LIKE 'agents_queue%%' OR name LIKE 'compliance_contact_facts%%'")
        plans = dict(cursor.fetchall())
    assert any(name.startswith("agents_queue_facts_pop") for name in plans)
    assert set(plans.values()) == {0}


@pytest.mark.django_db
def test_the_handed_out_cart_loads_only_what_the_queue_reads_and_the_rest_on_demand(shopify_store, national):
    # given a workable cart
    listed = open_cart(shopify_store, phone="+12125550171", score=80)

    # when the queue hands it out
    cart = next_cart(UserFactory(username="maya"), now=NOW)

    # then the store's secrets and the cart's payload were not read, and a field left out loads when read
    assert cart == listed
    assert {"webhook_secret", "shopify_admin_access_token"} <= cart.store.get_deferred_fields()
    assert "raw_payload" in cart.get_deferred_fields()
    assert {"phone", "country", "region"}.isdisjoint(cart.customer.get_deferred_fields())
    assert cart.platform_created_at == listed.platform_created_at
    assert cart.store.shop_domain == shopify_store.shop_domain


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_handing_out_a_cart_commits_without_waiting_for_the_disk(shopify_store, national):
    """The lease's transaction (here the test's own) commits without the WAL flush: losing it in a crash
    only returns the cart to the queue."""
    assert synchronous_commit() == "on"
    open_cart(shopify_store, phone="+12125550131", score=80)

    assert next_cart(UserFactory(username="maya"), now=NOW) is not None
    assert synchronous_commit() == "off"


@pytest.mark.django_db(transaction=True)
def test_the_setting_ends_with_the_pops_own_transaction(shopify_store, national):
    """In autocommit the pop is its own transaction: what follows on the connection (a dial's contact attempt,
    an opt-out) commits durably again."""
    open_cart(shopify_store, phone="+12125550132", score=80)

    assert next_cart(UserFactory(username="maya"), now=NOW) is not None
    assert connection.get_autocommit() and synchronous_commit() == "on"
