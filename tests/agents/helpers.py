"""Helpers for the agents' tests (their fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from recovery.models import Cart
from tests.factories import CartFactory, CustomerFactory

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York


def open_cart(store, *, phone: str, score: float, route: str = "call_first") -> Cart:
    """An open cart of a New York customer, created an hour before NOW, as the queue would consider it."""
    customer = CustomerFactory(store=store, phone=phone, region="NY")
    return CartFactory(store=store, customer=customer, route=route, priority_score=score,
                       total_value=Decimal("500.00"), platform_created_at=NOW - timedelta(hours=1))
