"""The gate's codes in words: every reason it denies for and every legal basis it relies on, as a person reads them.

The codes stay what the audit log stores, searches and exports (`ContactDecision.reasons`, `.basis`); screens and
CSVs show these words beside or instead of them. A code added to the gate without words here still shows, as its
code made readable (`reason_words`), and `tests/compliance/test_reason_words.py` fails until it has some.
"""

from __future__ import annotations

from compliance.models.choices import ConsentBasis

REASON_WORDS: dict[str, str] = {
    # what stops every channel
    "control_group": "Control group (never contacted)",
    "suppressed_after_erasure": "Erased at their request",
    "invalid_number": "Not a valid phone number",
    "invalid_email": "Not a usable email address",
    "internal_error": "The check failed (denied to be safe)",
    "audit_unavailable": "The audit log could not be written (denied to be safe)",
    # opt-outs and consent
    "opted_out_voice": "Opted out of calls",
    "opted_out_sms": "Opted out of texts",
    "opted_out_email": "Opted out of emails",
    "opted_out_all": "Opted out of all contact",
    "no_consent": "No consent on record",
    # Do-Not-Call lists
    "dnc_national": "On the national Do-Not-Call list",
    "dnc_state": "On a state Do-Not-Call list",
    "dnc_internal": "On the internal Do-Not-Call list",
    "dnc_uk_tps": "On the UK TPS list",
    "dnc_uk_ctps": "On the UK CTPS list",
    "list_stale": "National Do-Not-Call list out of date",
    # calling hours
    "unknown_location": "Recipient's location unknown",
    "outside_calling_hours": "Outside calling hours",
    "no_calls_sunday": "No calls on Sunday",
    "no_calls_holiday": "No calls on a public holiday",
    # caps
    "frequency_cap_24h": "Too many attempts in 24 hours",
    "minimum_gap": "Too soon after the last attempt",
    "cart_attempt_limit": "Attempt limit for this cart reached",
    # legal bases
    **{basis.value: str(basis.label) for basis in ConsentBasis},
}


def reason_words(code: str) -> str:
    """The words for a reason or basis code; an unknown code made readable ("some_code" -> "Some code")."""
    if not code:
        return ""
    return REASON_WORDS.get(code) or code.replace("_", " ").capitalize()
