"""Normalisation: pure functions, one per file format, from one line (or CSV value) to E.164."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


class RejectedLine(ValueError):
    """A line or value that is not a number a list can hold; `reason` says why, for the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason



def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit alone accepts "²" and other scripts' digits


def _nanp(ten_digits: str) -> str:
    if ten_digits[0] in "01":
        raise RejectedLine("area code cannot start with 0 or 1")
    if ten_digits[3] in "01":
        raise RejectedLine("exchange code cannot start with 0 or 1")
    return "+1" + ten_digits


def normalize_ftc(line: str) -> str:
    """E.164 for one line of an FTC registry file: ten digits, or `NPA,NXXXXXX` (area code, comma, number).

    Surrounding whitespace (a CRLF included) is ignored; NANP rules apply to the area and exchange codes.
    """
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if "," in text:
        npa, _, number = (part.strip() for part in text.partition(","))
        if not (len(npa) == 3 and len(number) == 7 and _is_digits(npa) and _is_digits(number)):
            raise RejectedLine("expected NPA,NXXXXXX (3 digits, comma, 7 digits)")
        text = npa + number
    elif not _is_digits(text):
        raise RejectedLine("not a number (only digits allowed)")
    elif len(text) != 10:
        raise RejectedLine(f"not 10 digits ({len(text)})")
    return _nanp(text)


def normalize_e164(line: str) -> str:
    """The line itself when it is E.164: `+`, then 8 to 15 digits; a +1 number also follows NANP rules.

    A hand check rather than phonenumbers: it is what E.164 promises, and it keeps 10M lines fast.
    """
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if not text.startswith("+"):
        raise RejectedLine("must start with + (E.164)")
    digits = text[1:]
    if not _is_digits(digits):
        raise RejectedLine("only digits may follow the +")
    if not 8 <= len(digits) <= 15:
        raise RejectedLine(f"not 8 to 15 digits after the + ({len(digits)})")
    if digits[0] == "0":
        raise RejectedLine("country code cannot start with 0")
    if digits[0] == "1":
        if len(digits) != 11:
            raise RejectedLine(f"a +1 number has 10 digits after the +1 ({len(digits) - 1})")
        return _nanp(digits[1:])
    return text


def normalize_tps(line: str) -> str:
    """E.164 for one UK TPS/CTPS record: the national format, 10 or 11 digits with the leading 0."""
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if not _is_digits(text):
        raise RejectedLine("not a number (only digits allowed)")
    if text[0] != "0":
        raise RejectedLine("must start with 0 (UK national format)")
    if text.startswith("00"):
        raise RejectedLine("starts with 00 (an international prefix, not a UK number)")
    if not 10 <= len(text) <= 11:
        raise RejectedLine(f"not 10 or 11 digits ({len(text)})")
    return "+44" + text[1:]


_UNPARSABLE = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown or missing country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}
_IMPOSSIBLE = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong length",
}


def normalize_csv_value(value: str, *, country: str = "") -> str:
    """E.164 for a free-form phone from a CSV file; national numbers are read in `country` (ISO code).

    Accepts every *possible* number (right length), not only *valid* ones (known ranges): a DNC list
    must not drop a number because phonenumbers' metadata has not caught up with a new range.
    """
    text = value.strip()
    if not text:
        raise RejectedLine("no phone number")
    region = (country.strip() or settings.PHONENUMBER_DEFAULT_REGION).upper()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise RejectedLine(f"not a phone number ({_UNPARSABLE.get(exc.error_type, 'unreadable')})") from None
    verdict = phonenumbers.is_possible_number_with_reason(number)
    if verdict not in (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise RejectedLine(f"not a possible phone number ({_IMPOSSIBLE.get(verdict, 'invalid')})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
