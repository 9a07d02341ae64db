"""Strict parsing of the loosely-typed values stores send (decimal strings, ISO times, recovery links)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings


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


def recovery_link_problem(url: str) -> str:
    """Why `url` may not be a cart's recovery link, or "" when it may (a blank link is no link, so it may).

    The link is rendered as a link on the cart page and the console and sent to customers by text and email, and
    every source (Shopify's webhooks and reconciliation, the REST API) hands us whatever its store says: a
    `javascript:` or `data:` link would run in an agent's browser or a customer's. Only `https` links to a host,
    without credentials, are accepted; `http` too where `RECOVERY_LINK_ALLOW_HTTP` allows it (development).
    The reason names the rule, never the link itself (it may carry the customer's email in its query).
    """
    if not url:
        return ""
    if any(character.isspace() or not character.isprintable() for character in url):
        return "the recovery link contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "the recovery link is not a valid URL"
    allowed = ("https", "http") if settings.RECOVERY_LINK_ALLOW_HTTP else ("https",)
    scheme = parts.scheme.lower()
    if scheme not in allowed:
        return (f"the recovery link's scheme {scheme + ':' if scheme else '(none)'} is not allowed "
                f"(only {' or '.join(name + '://' for name in allowed)} links are)")
    if not parts.hostname or not port_ok:
        return "the recovery link names no host"
    if parts.username is not None or parts.password is not None:
        return "the recovery link carries a user name or password"
    return ""
