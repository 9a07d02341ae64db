"""Texts through Twilio's Messages API (the `twilio` package), with delivery reports to our status webhook, and
the errors every SMS backend raises: permanent (do not retry) or transient (retry later)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Twilio errors that mean the recipient cannot be texted: unsubscribed (21610), not a mobile or not
# reachable (21211, 21612, 21614, 30006); retrying will not help.
UNREACHABLE_CODES = {21211, 21408, 21610, 21612, 21614, 30006}
STOPPED_CODE = 21610


class PermanentSendError(Exception):
    """The provider refused the message for good (bad number, unsubscribed recipient, bad request)."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.code = code

    @property
    def recipient_stopped(self) -> bool:
        return self.code == STOPPED_CODE


class TransientSendError(Exception):
    """The provider could not be reached or asked us to slow down: try again later."""


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    to: str
    body: str


class TwilioSmsBackend:
    """Sends through Twilio's Messages API with delivery reports to our status webhook."""

    def __init__(self, client=None):
        from twilio.rest import Client

        self.client = client or Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        sender = ({"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
                  if settings.TWILIO_MESSAGING_SERVICE_SID else {"from_": settings.TWILIO_FROM_NUMBER})
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **sender, **extra)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientSendError(f"Twilio answered {exc.status}: {exc.msg}") from exc
            raise PermanentSendError(f"Twilio refused the message ({exc.code}): {exc.msg}", code=exc.code) from exc
        except (TwilioException, OSError) as exc:
            raise TransientSendError(f"Twilio could not be reached: {exc}") from exc
        return SentMessage(sid=message.sid, status=message.status or "queued", to=to, body=body)
