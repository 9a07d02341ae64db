"""Orders recover carts (by checkout, else by the same customer within the window), with honest credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from compliance.models import ContactAttempt, ContactDecision
from compliance.services import check_contact
from recovery.models import Cart
from recovery.services import OrderData, cart_record_order
from recovery.services.attribution import in_control_group
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
ABANDONED = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def attempt(cart, *, at, channel="voice", agent=None, outcome="no_answer") -> ContactAttempt:
    decision = ContactDecision.objects.create(at=at, requester="t", store=cart.store, phone="+12125550100",
                                              channel=channel, allowed=True)
    return ContactAttempt.objects.create(decision=decision, store=cart.store, cart=cart, channel=channel,
                                         phone="+12125550100", agent=agent, at=at, outcome=outcome)


def order(**fields) -> OrderData:
    defaults = {"order_id": "1001", "total_value": Decimal("300.00"), "currency": "USD",
                "placed_at": ABANDONED + timedelta(days=2)}
    return OrderData(**{**defaults, **fields})


@pytest.fixture
def cart(shopify_store):
    customer = CustomerFactory(store=shopify_store, email="ana@example.com", phone="+12125550100")
    return CartFactory(store=shopify_store, customer=customer, checkout_token="tok-1", abandoned_at=ABANDONED,
                       total_value=Decimal("250.00"))


def test_the_order_of_a_checkout_credits_the_last_attempt_in_the_window(cart):
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    attempt(cart, at=ABANDONED + timedelta(minutes=5), agent=maya)
    attempt(cart, at=ABANDONED + timedelta(hours=30), channel="email")
    attempt(cart, at=ABANDONED + timedelta(hours=40), agent=sam)
    attempt(cart, at=ABANDONED + timedelta(hours=47), channel="sms", outcome="not_sent")  # never left
    attempt(cart, at=ABANDONED + timedelta(days=3), agent=maya)  # after the order

    recovered = cart_record_order(store=cart.store, order=order(checkout_token="tok-1"), source="shopify")

    assert recovered == cart
    cart.refresh_from_db()
    assert (cart.status, cart.attribution, cart.recovered_by, cart.recovered_channel) == (
        "recovered", "contacted", sam, "voice")
    assert cart.recovered_value == Decimal("300.00") and cart.upsell_value == Decimal("50.00")


def test_without_any_contact_the_recovery_is_self_recovered(cart):
    cart_record_order(store=cart.store, order=order(checkout_token="tok-1", total_value=Decimal("200")),
                      source="shopify")
    cart.refresh_from_db()
    assert (cart.attribution, cart.recovered_by, cart.upsell_value) == ("self_recovered", None, Decimal("0"))


def test_an_attempt_older_than_the_window_is_not_credited(cart):
    attempt(cart, at=ABANDONED + timedelta(minutes=5), agent=UserFactory(username="maya"))
    cart_record_order(store=cart.store, order=order(checkout_token="tok-1", placed_at=ABANDONED + timedelta(days=8)),
                      source="shopify")
    cart.refresh_from_db()
    assert cart.attribution == "self_recovered"


@pytest.mark.parametrize("identity", [{"email": "ANA@example.com"}, {"phone": "+12125550100"}])
def test_an_order_without_the_checkout_matches_the_same_customers_recent_cart(cart, shopify_store, identity):
    older = CartFactory(store=shopify_store, customer=cart.customer, abandoned_at=ABANDONED - timedelta(days=1))

    recovered = cart_record_order(store=shopify_store, order=order(**identity), source="shopify")

    assert recovered == cart  # the most recent abandoned cart of that customer
    assert Cart.objects.get(pk=older.pk).status == "open"


def test_an_order_outside_the_window_or_from_someone_else_recovers_nothing(cart, shopify_store):
    late = order(email="ana@example.com", placed_at=ABANDONED + timedelta(days=7, minutes=1))
    assert cart_record_order(store=shopify_store, order=late, source="shopify") is None
    assert cart_record_order(store=shopify_store, order=order(email="bob@example.com"), source="shopify") is None
    assert Cart.objects.get(pk=cart.pk).status == "open"


def test_a_store_sets_its_own_window(cart, shopify_store):
    shopify_store.attribution_window = timedelta(days=14)
    shopify_store.save()
    late = order(email="ana@example.com", placed_at=ABANDONED + timedelta(days=10))
    assert cart_record_order(store=shopify_store, order=late, source="shopify") == cart


def test_a_control_group_cart_is_never_contacted_and_its_recovery_is_the_baseline(cart):
    Cart.objects.filter(pk=cart.pk).update(in_control_group=True)
    cart.refresh_from_db()

    decision = check_contact(channel="email", store=cart.store, email="ana@example.com", cart=cart,
                             at=ABANDONED + timedelta(hours=1))
    assert not decision.allowed and decision.reasons[0] == "control_group"

    cart_record_order(store=cart.store, order=order(checkout_token="tok-1"), source="shopify")
    cart.refresh_from_db()
    assert cart.attribution == "control"


def test_the_control_group_is_the_stores_share_and_stable():
    store = StoreFactory(control_group_share=Decimal("0.05"))
    draws = [in_control_group(store, f"checkout-{number}") for number in range(20_000)]
    assert 0.045 <= sum(draws) / len(draws) <= 0.055
    assert draws == [in_control_group(store, f"checkout-{number}") for number in range(20_000)]
    assert not any(in_control_group(StoreFactory(control_group_share=0), f"c{n}") for n in range(1000))
