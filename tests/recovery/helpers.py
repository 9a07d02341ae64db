"""Helpers for the recovery tests (their fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from recovery.models import CartLineItem
from tests.factories import CartFactory, CustomerFactory

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # 10:00 in New York


def make_cart(store, *, value="100.00", items=(("Helmet", "HEL-1"),), minutes_ago=3, customer=None, **fields):
    """A cart abandoned `minutes_ago` before NOW, one line item per `(title, sku)` in `items`, for scoring."""
    customer = customer or CustomerFactory(store=store, phone="+12125550100", region="NY")
    cart = CartFactory(store=store, customer=customer, total_value=Decimal(value),
                       abandoned_at=NOW - timedelta(minutes=minutes_ago), **fields)
    for position, (title, sku) in enumerate(items):
        CartLineItem.objects.create(cart=cart, position=position, title=title, sku=sku, unit_price=Decimal(value))
    return cart
