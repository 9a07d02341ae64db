"""An amount as the product says it to customers: in the score's explanation, the call script and the messages
(a whole amount without its decimals, "$24"). Screens use the same formatting with the decimals (`core.money`)."""

from __future__ import annotations

from decimal import Decimal

from core.money import money_text


def money(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency, drop_zero_cents=True)
