"""An amount as the product shows it to agents and customers: in the score's explanation, the call script and the
messages."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal, currency: str) -> str:
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"
