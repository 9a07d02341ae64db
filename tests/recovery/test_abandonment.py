"""A checkout becomes an abandoned cart only after it has gone quiet for the store's delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recovery.models import Cart, CartEvent
from recovery.services import cart_open_if_abandoned
from recovery.tasks import open_abandoned_carts_task
from tests.factories import CartFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LAST_UPDATE = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def pending_cart(shopify_store):
    shopify_store.abandonment_delay = timedelta(minutes=10)
    shopify_store.friction_abandonment_delay = timedelta(minutes=3)
    shopify_store.save()
    return CartFactory(store=shopify_store, status=Cart.Status.PENDING, abandoned_at=None,
                       platform_updated_at=LAST_UPDATE)


def test_not_abandoned_one_second_before_the_delay(pending_cart):
    opened = cart_open_if_abandoned(cart_id=pending_cart.pk, now=LAST_UPDATE + timedelta(minutes=10, seconds=-1))

    assert opened is False
    pending_cart.refresh_from_db()
    assert pending_cart.status == Cart.Status.PENDING


def test_abandoned_exactly_at_the_delay_with_abandoned_at_the_last_activity(pending_cart):
    opened = cart_open_if_abandoned(cart_id=pending_cart.pk, now=LAST_UPDATE + timedelta(minutes=10))

    assert opened is True
    pending_cart.refresh_from_db()
    assert pending_cart.status == Cart.Status.OPEN
    assert pending_cart.abandoned_at == LAST_UPDATE
    assert pending_cart.events.filter(kind=CartEvent.Kind.ABANDONED).count() == 1


def test_friction_uses_the_shorter_delay(pending_cart):
    pending_cart.payment_failed = True
    pending_cart.save()

    assert cart_open_if_abandoned(cart_id=pending_cart.pk, now=LAST_UPDATE + timedelta(minutes=3)) is True


def test_checkout_nobody_can_be_reached_about_stays_pending(pending_cart):
    pending_cart.customer = CustomerFactory(store=pending_cart.store, email="", phone="")
    pending_cart.save()

    assert cart_open_if_abandoned(cart_id=pending_cart.pk, now=LAST_UPDATE + timedelta(hours=1)) is False


def test_completed_checkout_is_never_opened(pending_cart):
    pending_cart.completed_at = LAST_UPDATE
    pending_cart.save()

    assert cart_open_if_abandoned(cart_id=pending_cart.pk, now=LAST_UPDATE + timedelta(hours=1)) is False


def test_opening_twice_is_a_no_op(pending_cart):
    now = LAST_UPDATE + timedelta(hours=1)
    cart_open_if_abandoned(cart_id=pending_cart.pk, now=now)

    assert cart_open_if_abandoned(cart_id=pending_cart.pk, now=now) is False
    assert pending_cart.events.filter(kind=CartEvent.Kind.ABANDONED).count() == 1


def test_sweep_opens_only_quiet_checkouts(pending_cart, shopify_store, time_machine):
    fresh = CartFactory(store=shopify_store, status=Cart.Status.PENDING, abandoned_at=None,
                        platform_updated_at=LAST_UPDATE + timedelta(minutes=8))
    time_machine.move_to(LAST_UPDATE + timedelta(minutes=12))

    opened = open_abandoned_carts_task()

    assert opened == 1
    assert Cart.objects.get(pk=pending_cart.pk).status == Cart.Status.OPEN
    assert Cart.objects.get(pk=fresh.pk).status == Cart.Status.PENDING


def test_a_checkout_already_quiet_for_the_delay_is_workable_on_arrival(shopify_store):
    """A late delivery (or a backlog) of a checkout untouched for longer than the delay opens it at once."""
    from django.utils import timezone

    from integrations.shopify.payloads import checkout_data_from_shopify
    from recovery.services import cart_upsert
    from tests.payloads import shopify_checkout

    payload = shopify_checkout(updated_at=(timezone.now() - timedelta(minutes=30)).isoformat())
    data = checkout_data_from_shopify(payload, store_currency="USD")
    cart = cart_upsert(store=shopify_store, data=data, source="shopify").cart
    cart.refresh_from_db()
    assert cart.status == Cart.Status.OPEN
    assert cart.route and cart.scored_at is not None


def test_a_fresh_checkout_waits_for_the_delay(shopify_store):
    from django.utils import timezone

    from integrations.shopify.payloads import checkout_data_from_shopify
    from recovery.services import cart_upsert
    from tests.payloads import shopify_checkout

    payload = shopify_checkout(updated_at=timezone.now().isoformat())
    data = checkout_data_from_shopify(payload, store_currency="USD")
    cart = cart_upsert(store=shopify_store, data=data, source="shopify").cart
    cart.refresh_from_db()
    assert cart.status == Cart.Status.PENDING


def test_opening_a_cart_routed_automated_first_starts_its_sequence_explicitly(shopify_store):
    # given a quiet $20 checkout with no phone: it will be routed to the automated sequence
    shopify_store.abandonment_delay = timedelta(minutes=10)
    shopify_store.save()
    customer = CustomerFactory(store=shopify_store, phone="", email="jane@example.com")
    cart = CartFactory(store=shopify_store, customer=customer, status=Cart.Status.PENDING, abandoned_at=None,
                       platform_updated_at=LAST_UPDATE, total_value="20.00")

    # when the abandonment sweep opens it
    assert cart_open_if_abandoned(cart_id=cart.pk, now=LAST_UPDATE + timedelta(minutes=10)) is True

    # then opening, which decided the route, started the sequence at the first step
    cart.refresh_from_db()
    assert cart.route == Cart.Route.AUTOMATED_FIRST
    assert (cart.sequence_anchor_at, cart.next_message_step) == (LAST_UPDATE, 1)
    assert cart.next_message_at == LAST_UPDATE + timedelta(hours=1)
