"""Phone numbers as the contact gate reads them: parsed and validated once per number and process.

A gate decision for a call asks three questions of the same number (is it dialable, what is its stored
form, where may its owner be), and parsing with validation is the costliest Python on the way; the
answers depend on nothing but phonenumbers' metadata, which does not change while a process runs.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


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


def stored_form(phone: str, region: str | None) -> str:
    """The number as a phone field stores it: E.164 when valid, else as given (what django-phonenumber-field's
    `get_prep_value` does, without parsing the same number again)."""
    number = valid_number(phone, region) if phone else None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else phone
