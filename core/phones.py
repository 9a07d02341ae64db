"""Phone numbers in E.164, the one form the product stores and compares (customers, DNC entries, opt-outs)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def phone_to_e164(raw: str, *, region: str = "") -> str | None:
    """E.164 for a free-form phone, with the address's country as the default region.

    Returns None for a number that does not parse or is not a valid number.
    """
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, (region or settings.PHONENUMBER_DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
