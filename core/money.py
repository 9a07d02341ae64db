"""Amounts of money as every screen shows them: the currency's symbol, its minor units and thousands grouping
("$2,697.00", "€2,499.00", "£1,234.50", "¥12,345").

The screens are in English (`LANGUAGE_CODE`), so one grouping (comma, then point) serves every currency; what
differs per currency is its symbol and how many decimals it has (ISO 4217's minor units). A table this small is
cheaper to keep than Babel's CLDR data for a single locale. An unknown currency keeps its code after the amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 code: (symbol, minor units). Symbols that several currencies share carry their country ("CA$").
CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0), "CAD": ("CA$", 2), "AUD": ("A$", 2),
    "NZD": ("NZ$", 2), "CHF": ("CHF ", 2), "SEK": ("SEK ", 2), "NOK": ("NOK ", 2), "DKK": ("DKK ", 2),
    "MXN": ("MX$", 2), "BRL": ("R$", 2), "INR": ("₹", 2), "CNY": ("CN¥", 2), "KRW": ("₩", 0), "PLN": ("PLN ", 2),
}


def money_text(amount: Decimal | int | float | str | None, currency: str, *, drop_zero_cents: bool = False) -> str:
    """The amount in its currency, grouped, with the currency's decimals (rounded half up).

    `drop_zero_cents` writes a whole amount without its decimals ("$24"), as the script and messages say it.
    None or a value that is not a number is returned as "–" (nothing to show), never raised: a screen must render.
    """
    if amount is None or amount == "":
        return "–"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return "–"
    code = (currency or "").upper()
    symbol, digits = CURRENCIES.get(code, ("", 2))
    if drop_zero_cents and value == value.to_integral_value():
        digits = 0
    value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.{digits}f}"
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {code}".rstrip()
