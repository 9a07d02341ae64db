"""Domain errors and the one DRF exception handler that maps them to responses."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A rule of the product was broken; `message` is safe to show to the caller."""

    status_code = status.HTTP_400_BAD_REQUEST
    message = "The request could not be applied."

    def __init__(self, message: str | None = None, *, extra: dict | None = None):
        self.message = message or self.message
        self.extra = extra or {}
        super().__init__(self.message)


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    message = "A newer version is already stored."


DATABASE_DOWN_RETRY_AFTER = 30  # seconds; what a store's client or a webhook sender should wait before sending again
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)  # the database is unreachable: retryable, not a bug


def request_refusal(exc: SuspiciousOperation) -> tuple[int, str]:
    """The status and message for a request Django refused before any view could read it (too large a body, too
    many form fields or files): the same answer whether it surfaced in a DRF view or in Django's 400 handler."""
    if isinstance(exc, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return 413, f"Body is larger than the {limit_mb:.1f} MB this endpoint accepts."
    if isinstance(exc, TooManyFieldsSent):
        return 400, f"More than the {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields this endpoint accepts."
    if isinstance(exc, TooManyFilesSent):
        return 400, f"More than the {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files this endpoint accepts."
    return 400, "The request could not be read."


def exception_handler(exc, context):
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("API request %s refused with 503: the database is unavailable (%s)",
                     context["request"].path if context.get("request") else "?", type(exc).__name__)
        response = Response({"error": "The database is unavailable; nothing was stored. Send it again later."},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_DOWN_RETRY_AFTER)
        return response
    if isinstance(exc, ApplicationError):
        return Response({"error": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, SuspiciousOperation):
        code, message = request_refusal(exc)
        return Response({"error": message}, status=code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
