"""SMS backends: Twilio's REST API (`integrations.twilio.sms`, named here too so that `SMS_BACKEND` keeps one
dotted path per backend), a local recorder, and the refusal production uses when neither was configured."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from integrations.twilio.sms import (
    STOPPED_CODE,
    UNREACHABLE_CODES,
    PermanentSendError,
    SentMessage,
    TransientSendError,
    TwilioSmsBackend,
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


outbox: list[SentMessage] = []
_file_lock = threading.Lock()


class LocalSmsBackend:
    """Records messages instead of sending them (no Twilio credentials: development, demo, tests)."""

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        message = SentMessage(sid=f"SM{secrets.token_hex(16)}", status="sent", to=to, body=body)
        outbox.append(message)
        path = getattr(settings, "SMS_FILE_PATH", "")
        if path:
            with _file_lock:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as file:
                    file.write(json.dumps({**asdict(message), "at": timezone.now().isoformat()}) + "\n")
        return message
