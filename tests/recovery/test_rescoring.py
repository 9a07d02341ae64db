"""Beat's re-scoring sweep scores in batches and stores exactly what scoring each cart on its own stores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from compliance.models import ContactAttempt, ContactDecision
from recovery.models import Cart, PriorityPolicy, RecoveryMessage
from recovery.services.priority import cart_prioritize, cart_priority
from recovery.services.rescoring import _open_batch, _rescore_batch, carts_reprioritize
from tests.factories import CustomerFactory, StoreFactory
from tests.recovery.helpers import NOW, make_cart

pytestmark = pytest.mark.django_db

SCORED = ("route", "priority_score", "priority_reason", "scored_at", "sequence_anchor_at", "next_message_step",
          "next_message_at")


def every_kind_of_open_cart(store) -> list[Cart]:
    """A cart down every branch of the routing tree, with attempts, at night, in the control group, after its
    calls, with its sequence already running, without a phone, and of a second store with its own policy."""
    other = StoreFactory()
    PriorityPolicy.objects.create(store=other, call_first_min_value=Decimal("50.00"), value_weight=2.0)
    carts = [
        make_cart(store, value="40.00", payment_failed=True, error_text="Card declined"),
        make_cart(store, value="1240.00", minutes_ago=90),
        make_cart(store, value="60.00", error_text="Shipping not available to ZIP"),
        make_cart(store, value="90.00", items=(("E-Bike configurator deposit", "EB-CFG"),)),
        make_cart(store, value="60.00", customer=CustomerFactory(store=store, phone="+12125550101", region="NY",
                                                                  lifetime_value=Decimal("2300.00"))),
        make_cart(store, value="900.00", items=(("Coffee subscription renewal", "SUB-12"),)),
        make_cart(store, value="60.00", customer=CustomerFactory(store=store, phone="+12125550102", region="NY",
                                                                  orders_count=4)),
        make_cart(store, value="20.00", items=(("Gift card", "GC-25"),)),
        make_cart(store, value="45.00", in_control_group=True),
        make_cart(store, value="95.00", minutes_ago=25 * 60),
        make_cart(store, value="30.00", minutes_ago=25 * 60, sequence_anchor_at=NOW - timedelta(hours=25),
                  next_message_step=2, next_message_at=NOW - timedelta(hours=1)),
        make_cart(store, value="300.00", route=Cart.Route.AUTOMATED_FIRST, calls_ended_at=NOW, call_attempts=5),
        make_cart(store, value="300.00", customer=CustomerFactory(store=store, phone="", region="")),
        make_cart(store, value="300.00", customer=CustomerFactory(store=store, phone="+12065550100", region="WA")),
        make_cart(other, value="70.00", items=()),
    ]
    for minutes_ago in (80, 70, 60):
        at = NOW - timedelta(minutes=minutes_ago)
        decision = ContactDecision.objects.create(at=at, requester="test", store=store, channel="voice",
                                                  allowed=True, phone="+12125550100")
        ContactAttempt.objects.create(decision=decision, store=store, cart=carts[1], channel="voice",
                                      phone="+12125550100", at=at)
    return carts


def scored_fields(carts) -> dict[int, tuple]:
    return {row[0]: row[1:] for row in Cart.objects.filter(pk__in=[cart.pk for cart in carts])
            .values_list("pk", *SCORED)}


@pytest.mark.parametrize("moment", [NOW, NOW.replace(hour=4)], ids=["daytime", "night in New York"])
def test_the_sweep_stores_what_scoring_each_cart_alone_stores(shopify_store, moment):
    # given
    carts = every_kind_of_open_cart(shopify_store)
    before = scored_fields(carts)

    # when
    assert carts_reprioritize(now=moment, batch_size=4) == len(carts)
    swept = scored_fields(carts)
    for pk, fields in before.items():
        Cart.objects.filter(pk=pk).update(**dict(zip(SCORED, fields, strict=True)))
    for cart in carts:
        cart_prioritize(cart_id=cart.pk, now=moment)

    # then
    assert swept == scored_fields(carts)
    assert len({fields[0] for fields in swept.values()}) == 2  # both routes were taken
    assert sum(fields[4] is not None for fields in swept.values()) == 1  # only the one already running


def test_re_scoring_alone_never_starts_a_sequence(shopify_store):
    # given open automated-first carts with no sequence yet (low value, repeat buyer, no phone)
    carts = [make_cart(shopify_store, value="20.00", items=(("Gift card", "GC-25"),)),
             make_cart(shopify_store, value="60.00", customer=CustomerFactory(
                 store=shopify_store, phone="+12125550102", region="NY", orders_count=4)),
             make_cart(shopify_store, value="300.00", customer=CustomerFactory(store=shopify_store, phone=""))]
    Cart.objects.filter(pk__in=[cart.pk for cart in carts]).update(route=Cart.Route.CALL_FIRST)

    # when beat's sweep and the one-cart re-score run
    carts_reprioritize(now=NOW)
    for cart in carts:
        cart_prioritize(cart_id=cart.pk, now=NOW + timedelta(minutes=1))

    # then every cart is scored automated-first, and none has a sequence step planned or a message
    rows = Cart.objects.filter(pk__in=[cart.pk for cart in carts]).values_list(
        "route", "sequence_anchor_at", "next_message_at")
    assert set(rows) == {(Cart.Route.AUTOMATED_FIRST, None, None)}
    assert not RecoveryMessage.objects.filter(cart__in=carts).exists()


def test_a_batch_is_read_and_written_in_a_few_queries_whatever_its_size(shopify_store,
                                                                       django_assert_max_num_queries):
    # given
    for _ in range(40):
        make_cart(shopify_store, value="500.00")

    # then: the sweep's lock and unlock; the batch's carts, line items, stores, attempts; its savepoint, lock
    # and write; the empty read that ends the sweep; the calling rules if their cache is cold
    with django_assert_max_num_queries(2 + 4 + 4 + 1 + 1):
        assert carts_reprioritize(now=NOW) == 40


def test_a_cart_changed_after_it_was_read_is_scored_from_its_current_data(shopify_store):
    # given: the sweep has read the batch, then an update doubles one cart's value
    unchanged, changed = make_cart(shopify_store, value="100.00"), make_cart(shopify_store, value="100.00")
    batch, attempts = _open_batch(after_pk=0, size=10)
    changed.total_value = Decimal("2000.00")
    changed.save()

    # when
    assert _rescore_batch(batch, attempts, now=NOW) == 2

    # then
    changed.refresh_from_db()
    fresh = Cart.objects.select_related("store", "customer").get(pk=changed.pk)
    assert (changed.route, changed.priority_score) == (Cart.Route.CALL_FIRST, cart_priority(fresh, now=NOW).score)
    assert "$2,000 cart" in changed.priority_reason
    assert Cart.objects.get(pk=unchanged.pk).priority_reason.startswith("Automated first: $100 cart")


def test_a_cart_closed_after_it_was_read_is_left_as_it_is(shopify_store):
    # given
    kept, closed = make_cart(shopify_store), make_cart(shopify_store)
    batch, attempts = _open_batch(after_pk=0, size=10)
    Cart.objects.filter(pk=closed.pk).update(status=Cart.Status.RECOVERED)

    # when
    assert _rescore_batch(batch, attempts, now=NOW) == 1

    # then
    assert Cart.objects.get(pk=closed.pk).scored_at is None
    assert Cart.objects.get(pk=kept.pk).scored_at == NOW
