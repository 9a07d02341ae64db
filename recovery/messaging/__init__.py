"""Outbound texts, through Twilio or, without credentials, a local backend that records them.

Like Django's email backends: `SMS_BACKEND` names the class; `sms_send()` uses it. The
Twilio backend uses the real `twilio` client; the local one keeps every message in
`recovery.messaging.backends.outbox` (tests) and, when `SMS_FILE_PATH` is set, appends it
to that file as a JSON line (the demo). Neither decides whether a text may be sent: the
caller has already asked the compliance gate.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from recovery.messaging.backends import PermanentSendError, SentMessage, SmsNotConfigured, TransientSendError


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def sms_send(*, to: str, body: str) -> SentMessage:
    """Send one text; raises PermanentSendError (do not retry) or TransientSendError (retry later)."""
    return sms_backend().send(to=to, body=body, status_callback=sms_status_callback_url())


def sms_status_callback_url() -> str | None:
    """Where Twilio reports delivery; only a public URL can receive it."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/webhooks/twilio/sms/status/" if base else None


__all__ = ["PermanentSendError", "SentMessage", "SmsNotConfigured", "TransientSendError", "sms_backend", "sms_send"]
