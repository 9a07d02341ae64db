"""Fixtures for the agents' tests (their helpers are in helpers.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from compliance.models import DncList
from recovery.models import CartLineItem
from tests.agents.helpers import NOW
from tests.factories import CartFactory, CustomerFactory


@pytest.fixture
def national(db):
    """A national DNC list imported the day before NOW (the gate refuses calls against a stale one)."""
    return DncList.objects.create(name="national", kind="national", last_full_import_at=NOW - timedelta(days=1))


@pytest.fixture
def cart(shopify_store):
    """Jane's call-first cart: $640, payment declined at checkout four minutes before NOW."""
    customer = CustomerFactory(store=shopify_store, first_name="Jane", phone="+12125550181", region="NY",
                               email="jane.call@example.com", accepts_sms_marketing=False)
    cart = CartFactory(store=shopify_store, customer=customer, route="call_first", priority_score=88,
                       priority_reason="Call first: $640 cart, payment declined at checkout, abandoned 4 minutes ago",
                       total_value=Decimal("640.00"), payment_failed=True, abandoned_at=NOW - timedelta(minutes=4),
                       platform_created_at=NOW - timedelta(minutes=20),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover")
    CartLineItem.objects.create(cart=cart, title="Trail Runner GTX", quantity=1, unit_price=Decimal("640.00"))
    return cart
