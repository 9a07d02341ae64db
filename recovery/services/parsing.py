"""Strict parsing of the loosely-typed values stores send (decimal strings, ISO times)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation


class PayloadError(ValueError):
    """A payload that cannot be turned into a cart or an order; the message says why."""


def parse_decimal(value: object, *, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise PayloadError(f"{field}: {value!r} is not a decimal amount") from exc
    if not amount.is_finite() or amount < 0:
        raise PayloadError(f"{field}: {value!r} is not a non-negative amount")
    return amount.quantize(Decimal("0.01"))


def parse_datetime(value: object, *, field: str, assume_utc: bool = True) -> datetime | None:
    """ISO 8601 with or without offset; naive values are UTC (WooCommerce's *_gmt fields)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field}: {value!r} is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"{field}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        if not assume_utc:
            raise PayloadError(f"{field}: {value!r} has no time zone")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_quantity(value: object, *, field: str) -> int:
    try:
        quantity = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{field}: {value!r} is not a whole quantity") from exc
    if quantity < 0:
        raise PayloadError(f"{field}: {value!r} is negative")
    return quantity


def text(value: object, limit: int = 255) -> str:
    return "" if value is None else str(value).strip()[:limit]
