"""Compliance writes and the contact gate: `from compliance.services import check_contact`."""

from compliance.services.consent import consent_record
from compliance.services.dnc import (
    dnc_add_numbers,
    dnc_import_create,
    dnc_import_run,
    dnc_list_get_or_create,
    dnc_remove_numbers,
)
from compliance.services.gate import (
    Decision,
    check_contact,
    contact_attempt_delivery_record,
    contact_attempt_finish,
    contact_attempt_line_record,
    contact_attempt_start,
)
from compliance.services.optouts import optin_record, optout_record, sms_intent

__all__ = [
    "Decision",
    "check_contact",
    "consent_record",
    "contact_attempt_delivery_record",
    "contact_attempt_finish",
    "contact_attempt_line_record",
    "contact_attempt_start",
    "dnc_add_numbers",
    "dnc_import_create",
    "dnc_import_run",
    "dnc_list_get_or_create",
    "dnc_remove_numbers",
    "optin_record",
    "optout_record",
    "sms_intent",
]
