"""SMS backends: Twilio's REST API (`integrations.twilio.sms`, named here too so that `SMS_BACKEND` keeps one
dotted path per backend), a local recorder, and the refusal production uses when neither was configured."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.twilio.sms import (
    STOPPED_CODE,
    UNREACHABLE_CODES,
    PermanentSendError,
    SentMessage,
    TransientSendError,
    TwilioSmsBackend,
    local_status_report_task,
)

__all__ = [
    "STOPPED_CODE",
    "UNREACHABLE_CODES",
    "LocalSmsBackend",
    "PermanentSendError",
    "SentMessage",
    "SmsNotConfigured",
    "TransientSendError",
    "TwilioSmsBackend",
    "UnconfiguredSmsBackend",
    "outbox",
]

class SmsNotConfigured(PermanentSendError):
    """No SMS provider is configured: nothing was sent, and retrying will not send it either."""


class UnconfiguredSmsBackend:
    """Production without Twilio credentials and without SMS_BACKEND=local: every text is refused, so the
    sequence marks its message undeliverable and the console says why, instead of a recorder reporting "sent"."""

    MESSAGE = ("Texts cannot be sent: no SMS provider is configured. Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
               "(or SMS_BACKEND=local to record texts without sending them).")

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        raise SmsNotConfigured(self.MESSAGE)


def local_status_callback_url() -> str:
    """The product's own status view, at the address its links use (the local recorder posts to itself)."""
    base = getattr(settings, "LINK_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('webhook-twilio-sms-status')}" if base else ""


outbox: list[SentMessage] = []
_file_lock = threading.Lock()


# The local recorder reports delivery this long after taking a text, as Twilio's callbacks come a moment later (by
# then the sender has recorded the message's SID on its attempt).
LOCAL_REPORT_AFTER_SECONDS = 3


class LocalSmsBackend:
    """Records messages instead of sending them (no Twilio credentials: development, demo, tests), and reports
    their delivery the way Twilio would: signed status callbacks to the product's status view, a few seconds on
    (`integrations.twilio.sms.local_status_report_task`). Reports need an address to post to (`status_callback`,
    else LINK_BASE_URL's) and TWILIO_AUTH_TOKEN to sign with; without a token none is posted, as the status view
    would refuse it."""

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        message = SentMessage(sid=f"SM{secrets.token_hex(16)}", status="queued", to=to, body=body)
        url = status_callback or local_status_callback_url()
        if url and settings.TWILIO_AUTH_TOKEN:
            transaction.on_commit(lambda: local_status_report_task.apply_async(
                args=[url, message.sid, to], countdown=LOCAL_REPORT_AFTER_SECONDS))
        outbox.append(message)
        path = getattr(settings, "SMS_FILE_PATH", "")
        if path:
            with _file_lock:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as file:
                    file.write(json.dumps({**asdict(message), "at": timezone.now().isoformat()}) + "\n")
        return message
