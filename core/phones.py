"""Phone numbers: the one parser, on phonenumbers as django-phonenumber-field uses it, and E.164, the one form the
product stores and compares (customers, DNC entries, opt-outs).

Parsing with validation is the costliest Python on the contact gate's way (a decision asks three questions of the
same number: is it dialable, what is its stored form, where may its owner be), and ingestion parses every
checkout's phone. The answer depends on nothing but phonenumbers' metadata, which does not change while a process
runs, so each number is parsed and validated once per process.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.conf import settings


def valid_number(phone: str, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    """The number parsed (with `region` for a national form), or None when it does not parse or is not a
    valid number. The object is shared: read it, never change it."""
    # An international number means the same in every region: one cache entry for all the callers.
    return _valid_number(phone, None if phone.startswith("+") else region)


@lru_cache(maxsize=65536)
def _valid_number(phone: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_to_e164(raw: str, *, region: str = "") -> str | None:
    """E.164 for a free-form phone, with the address's country as the default region (the settings' default
    region when the address names none).

    Returns None for a number that does not parse or is not a valid number.
    """
    if not raw:
        return None
    number = valid_number(raw, (region or settings.PHONENUMBER_DEFAULT_REGION).upper())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else None


def stored_form(phone: str, region: str | None) -> str:
    """The number as a phone field stores it: E.164 when valid, else as given (what django-phonenumber-field's
    `get_prep_value` does, without parsing the same number again)."""
    number = valid_number(phone, region) if phone else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else phone


def national_form(phone: object) -> tuple[str, str] | None:
    """(national format, E.164) of a stored number, for showing it: "(415) 555-0101" and "+14155550101";
    "020 7946 0958" and "+442079460958". None when it is not a valid number (the caller shows it as it is).

    A number is shown in its own country's national format, as the people who call it write it; the E.164 form
    is what they copy and what the product stores.
    """
    if isinstance(phone, phonenumbers.PhoneNumber):  # a phone field's value
        phone = phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.E164)
    text = str(phone or "").strip()
    number = valid_number(text, settings.PHONENUMBER_DEFAULT_REGION) if text else None
    if number is None:
        return None
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def search_digits(typed: str) -> str | None:
    """What a phone search looks for in stored E.164 numbers, from a number as people type it: the full E.164 when
    it is a whole valid number ("(415) 555-0101" in the default region), else its digits ("555-01" -> "55501"),
    which a partial number typed so far shares with the stored form. None when it has no digits or has letters
    or an "@" (an email or a name, not a number)."""
    text = typed.strip()
    if not text or "@" in text or any(char.isalpha() for char in text):
        return None
    whole = phone_to_e164(text)
    if whole:
        return whole
    digits = "".join(char for char in text if char.isdigit())
    return digits or None
