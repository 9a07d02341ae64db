"""Helpers for the dashboards' tests: the clock their small data sets are built around, and a cart of the set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from recovery.models import Cart
from tests.factories import CartFactory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
T = NOW - timedelta(days=10)  # when the window's carts became workable


def cart(store, **fields) -> Cart:
    """A $250 call-first cart abandoned and workable since T, unless `fields` say otherwise."""
    defaults = {"abandoned_at": T, "workable_since": T, "total_value": Decimal("250"), "route": "call_first"}
    return CartFactory(store=store, **{**defaults, **fields})
