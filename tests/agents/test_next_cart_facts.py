"""The queue's pop reads the gate's facts for the cart it reserves, in the same statement: what the gate
would have read on its own, and the gate's own read whenever those cannot be trusted for the number."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.services import LEASE, cart_release, next_cart, queue_sql
from compliance import selectors
from compliance.models import CompliancePolicy, ConsentRecord, ContactAttempt
from compliance.models.privacy import Suppression, suppression_digest
from compliance.services import check_contact, optout_record
from recovery.models import Customer
from tests.agents.helpers import NOW, open_cart
from tests.factories import UserFactory, add_entry


def executed(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith("EXECUTE")]


@pytest.mark.django_db
def test_the_usual_request_is_one_statement(shopify_store, national):
    # given a session that has prepared the queue's statements, and two workable carts
    open_cart(shopify_store, phone="+12125550301", score=90)
    second = open_cart(shopify_store, phone="+12125550302", score=80)
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    first = next_cart(maya, now=NOW)

    # when another agent asks
    with CaptureQueriesContext(connection) as queries:
        cart = next_cart(sam, now=NOW)

    # then one statement reserved the cart and read what the gate decided it with (the test's transaction adds
    # the gate's savepoint around its decision)
    assert cart == second and first != second
    statements = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len(statements) == 1 and statements[0].startswith("EXECUTE agents_queue_facts_pop")


@pytest.mark.django_db
def test_the_pops_facts_are_what_the_gate_reads_itself(shopify_store, national):
    # given a cart whose number has a history: an opt-out of texts, consent, attempts, a DNC listing, a policy
    cart = open_cart(shopify_store, phone="+12125550311", score=90)
    number = "+12125550311"
    CompliancePolicy.objects.create(store=shopify_store, max_calls_per_24h=5)
    optout_record(phone=number, scope="sms", source="sms", at=NOW - timedelta(days=2))
    ConsentRecord.objects.create(customer=cart.customer, store=shopify_store, phone=number, channel="voice",
                                 basis="express_consent", source="shopify_checkout", at=NOW - timedelta(days=3))
    for hours_ago in (30, 5, 2):
        decision = check_contact(channel="voice", store=shopify_store, phone=number, cart=cart, at=NOW)
        ContactAttempt.objects.create(store=shopify_store, cart=cart, phone=number, channel="voice",
                                      decision_id=decision.decision_id, outcome="no_answer",
                                      at=NOW - timedelta(hours=hours_ago))
    add_entry(national, number)

    # when the pop reserves it
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recovery_cart SET reserved_by_id = NULL")
    _, popped, facts = queue_sql.agent_facts_with_pop(agent_id=UserFactory().pk, until=NOW + LEASE, now=NOW)

    # then its facts are the gate's own for that call, with the digest they were probed with
    own = selectors.contact_facts(store=shopify_store, channel="voice", phone=number, email="",
                                  since=NOW - timedelta(hours=24), cart=cart)
    assert popped == cart
    assert facts.probed_digest == suppression_digest(phone=number)
    assert replace(facts, probed_digest=None) == own
    assert facts.policy.max_calls_per_24h == 5 and len(facts.attempt_times) == 2 and facts.cart_attempts == 3
    assert [fact.listed for fact in facts.dnc_lists] == [True]
    assert selectors.facts_fit(facts, channel="voice", phone=number, email="")
    assert not selectors.facts_fit(facts, channel="voice", phone="+12125550312", email="")
    assert not selectors.facts_fit(facts, channel="sms", phone=number, email="")


def suppress(number: str) -> None:
    Suppression.objects.create(digest=suppression_digest(phone=number), scope="all", reason="requested")


@pytest.mark.django_db
def test_a_suppressed_number_is_refused_on_the_pops_facts(shopify_store, national):
    erased = open_cart(shopify_store, phone="+12125550321", score=90)
    suppress("+12125550321")
    workable = open_cart(shopify_store, phone="+12125550322", score=80)

    with CaptureQueriesContext(connection) as queries:
        assert next_cart(UserFactory(username="maya"), now=NOW) == workable

    # then the erased number's cart was refused on the pop's facts; the gate read its own for the next cart only
    erased.refresh_from_db()
    assert erased.reserved_by is None and erased.next_call_at is not None  # parked, not handed out
    assert sum("compliance_contact_facts" in sql for sql in executed(queries)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("stored", ["", "digest-of-a-number-it-had-before"])
def test_a_customer_without_its_numbers_digest_is_screened_by_the_gates_own_read(shopify_store, national, stored):
    # given a suppressed number whose customer row does not carry its digest (saved before digests were kept,
    # or written around the model)
    erased = open_cart(shopify_store, phone="+12125550331", score=90)
    suppress("+12125550331")
    Customer.objects.filter(pk=erased.customer_id).update(phone_digest=stored)
    maya = UserFactory(username="maya")

    # when the queue pops it
    with CaptureQueriesContext(connection) as queries:
        cart = next_cart(maya, now=NOW)

    # then the gate read the facts itself and refused it
    assert cart is None
    assert any("compliance_contact_facts" in sql for sql in executed(queries))
    erased.refresh_from_db()
    assert erased.reserved_by is None


@pytest.mark.django_db
def test_a_customers_number_digest_follows_its_number(shopify_store):
    customer = open_cart(shopify_store, phone="+12125550341", score=90).customer
    assert customer.phone_digest == suppression_digest(phone="+12125550341")

    customer.phone = "+12125550342"
    customer.save(update_fields=["phone"])
    customer.refresh_from_db()
    assert customer.phone_digest == suppression_digest(phone="+12125550342")

    customer.phone = ""
    customer.save()
    customer.refresh_from_db()
    assert customer.phone_digest == ""


@pytest.mark.django_db
def test_the_migration_gives_existing_customers_their_digest(shopify_store):
    import importlib

    migration = importlib.import_module("recovery.migrations.0015_customer_phone_digest")
    customers = [open_cart(shopify_store, phone=f"+1212555035{n}", score=50).customer for n in range(3)]
    Customer.objects.filter(pk__in=[customer.pk for customer in customers]).update(phone_digest="")

    migration.digests_fill(apps, None)

    stored = dict(Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("phone", "phone_digest"))
    assert stored == {f"+1212555035{n}": suppression_digest(phone=f"+1212555035{n}") for n in range(3)}


@pytest.mark.django_db
def test_a_refused_first_cart_leaves_the_next_to_the_gates_own_read(shopify_store, national):
    listed = open_cart(shopify_store, phone="+12125550361", score=90)
    add_entry(national, "+12125550361")
    workable = open_cart(shopify_store, phone="+12125550362", score=80)
    maya = UserFactory(username="maya")

    with CaptureQueriesContext(connection) as queries:
        assert next_cart(maya, now=NOW) == workable

    assert any("compliance_contact_facts" in sql for sql in executed(queries))  # the second cart's facts
    cart_release(agent=maya, cart_id=workable.pk)
    listed.refresh_from_db()
    assert listed.route == "automated_first"
