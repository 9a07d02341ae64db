"""The DNC services' domain errors (ApplicationError subclasses with constant messages)."""

from __future__ import annotations

from core.exceptions import ApplicationError, ConflictError


class DncListUnknown(ApplicationError):
    message = "No such DNC list."


class DncImportBusy(ConflictError):
    message = "Another import of this list is running."


class DncFileInvalid(ApplicationError):
    message = "The file cannot be imported."


class DncNumberInvalid(ApplicationError):
    message = "Not an E.164 phone number."


class DncReplaceShrinks(ApplicationError):
    message = "This full list would remove more than 20% of the list."


class DncImportNotAwaiting(ApplicationError):
    message = "This import is not waiting for a confirmation (it was confirmed or cancelled already)."
