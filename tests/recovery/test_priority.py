"""Routing (every branch of the tree), score ordering and the sentence that explains a score."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from recovery.models import Cart, Customer
from recovery.services.priority import cart_prioritize, cart_priority
from recovery.services.rescoring import carts_reprioritize
from tests.factories import CustomerFactory
from tests.recovery.helpers import NOW, make_cart

pytestmark = pytest.mark.django_db

ROUTES = [
    # (name, cart kwargs, customer kwargs, expected route, expected reason fragment)
    ("payment failure is always a call", {"value": "40.00", "payment_failed": True, "error_text": "Card declined"},
     {}, "call_first", "payment declined at checkout"),
    ("high value", {"value": "1240.00"}, {}, "call_first", "at least $150"),
    ("checkout error", {"value": "60.00", "error_text": "Shipping not available to ZIP"}, {}, "call_first",
     "checkout error"),
    ("complex product", {"value": "90.00", "items": (("E-Bike configurator deposit", "EB-CFG"),)}, {},
     "call_first", "complex product"),
    ("valuable customer", {"value": "60.00"}, {"lifetime_value": Decimal("2300.00")}, "call_first",
     "customer has spent $2,300"),
    ("subscription renewal stays automated even when large",
     {"value": "900.00", "items": (("Coffee subscription renewal", "SUB-12"),)}, {}, "automated_first",
     "subscription renewal"),
    ("repeat buyer", {"value": "60.00"}, {"orders_count": 4}, "automated_first", "repeat buyer"),
    ("impulse items", {"value": "20.00", "items": (("Gift card", "GC-25"),)}, {}, "automated_first",
     "impulse items"),
    ("low value", {"value": "45.00"}, {}, "automated_first", "low value"),
    ("still open after 24 hours and worth it: escalated", {"value": "95.00", "minutes_ago": 25 * 60}, {},
     "call_first", "escalated: still open after 24 hours"),
    ("still open but not worth a call", {"value": "30.00", "minutes_ago": 25 * 60}, {}, "automated_first",
     "low value"),
]


@pytest.mark.parametrize(("name", "cart_kwargs", "customer_kwargs", "route", "reason"), ROUTES,
                         ids=[row[0] for row in ROUTES])
def test_routing(shopify_store, name, cart_kwargs, customer_kwargs, route, reason):
    customer = CustomerFactory(store=shopify_store, phone="+12125550100", region="NY", **customer_kwargs)
    cart = make_cart(shopify_store, customer=customer, **cart_kwargs)

    priority = cart_priority(cart, now=NOW)

    assert priority.route == route
    assert any(reason in text for text in priority.reasons), priority.reasons


def test_explanation_reads_like_the_supervisor_would_say_it(shopify_store):
    cart = make_cart(shopify_store, value="1240.00", payment_failed=True, error_text="Card declined", minutes_ago=3)

    priority = cart_priority(cart, now=NOW)

    assert priority.explanation == "Call first: $1,240 cart, payment declined at checkout, abandoned 3 minutes ago"


def test_score_orders_fresh_valuable_friction_first(shopify_store):
    fresh_failed = make_cart(shopify_store, value="1240.00", payment_failed=True, minutes_ago=3)
    fresh_big = make_cart(shopify_store, value="1240.00", minutes_ago=3)
    stale_big = make_cart(shopify_store, value="1240.00", minutes_ago=6 * 60)
    fresh_small = make_cart(shopify_store, value="45.00", minutes_ago=3)

    scores = [cart_priority(cart, now=NOW, attempts=0).score for cart in (fresh_failed, fresh_big, stale_big,
                                                                          fresh_small)]

    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 4


def test_prior_attempts_and_the_night_lower_the_score(shopify_store):
    cart = make_cart(shopify_store, value="500.00")
    night = NOW.replace(hour=4)  # 23:00 in New York

    base = cart_priority(cart, now=NOW, attempts=0)
    tried = cart_priority(cart, now=NOW, attempts=2)
    at_night = cart_priority(cart, now=night, attempts=0)

    assert tried.score < base.score
    assert "2 contact attempts so far" in tried.explanation
    assert at_night.score < base.score
    assert "outside calling hours now" in at_night.explanation


def test_prioritize_stores_route_score_and_sentence_and_the_sweep_rescores(shopify_store):
    cart = make_cart(shopify_store, value="1240.00", minutes_ago=3)
    pending = make_cart(shopify_store, value="1240.00", status=Cart.Status.PENDING)

    cart_prioritize(cart_id=cart.pk, now=NOW)
    cart.refresh_from_db()
    first_score = cart.priority_score
    assert (cart.route, cart.priority_reason) == ("call_first", "Call first: $1,240 cart, abandoned 3 minutes ago")

    assert carts_reprioritize(now=NOW + timedelta(hours=2)) == 1
    cart.refresh_from_db()
    assert cart.priority_score < first_score
    assert "abandoned 2 hours ago" in cart.priority_reason
    assert Cart.objects.get(pk=pending.pk).route == ""


def test_shopify_customer_history_is_kept_for_routing(client, shopify_store, django_capture_on_commit_callbacks):
    import time_machine

    from tests.helpers import process_inbox
    from tests.payloads import post_shopify, shopify_checkout

    customer = {"id": 6939212513450, "email": "jane.doe@example.com", "orders_count": 3, "total_spent": "2310.50"}
    with time_machine.travel("2026-11-20T15:16:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        post_shopify(client, shopify_checkout(customer=customer))
        process_inbox()

    stored = Customer.objects.get()
    assert (stored.orders_count, stored.lifetime_value) == (3, Decimal("2310.50"))


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_finds_another_running_returns_at_once():
    import psycopg
    from django.db import connection

    from recovery.services.rescoring import REPRIORITIZE_LOCK

    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
                         host=settings["HOST"] or None, port=settings["PORT"] or None, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext(%s))", [REPRIORITIZE_LOCK])  # a sweep in another worker
        assert carts_reprioritize() == -1
        other.execute("SELECT pg_advisory_unlock(hashtext(%s))", [REPRIORITIZE_LOCK])
    assert carts_reprioritize() == 0  # and the lock is given back after a sweep
    assert carts_reprioritize() == 0


def test_beat_drops_a_sweep_still_queued_when_the_next_is_due(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reprioritize-open-carts"]
    assert entry["options"]["expires"] < entry["schedule"]
