"""Texts through Twilio's Messages API (the `twilio` package), with delivery reports to our status webhook, and
the errors every SMS backend raises: permanent (do not retry) or transient (retry later)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from celery import shared_task
from django.conf import settings
from twilio.request_validator import RequestValidator

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


# The local recorder's delivery reports: what Twilio posts to a message's status callback (MessageStatus queued ->
# sent -> delivered, or undelivered/failed with an ErrorCode), signed with the auth token as Twilio signs them, so
# the product's own signed status view applies them exactly as it applies Twilio's. Without them, every text the
# demo "sent" stayed "sent" and the dashboard's text reach read 0%.
LOCAL_REPORTED_STATUSES = ("sent", "delivered")
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_SENDER = "+15005550006"  # Twilio's test number for a valid sender


def status_callback_params(*, sid: str, to: str, status: str, error_code: str = "",
                           error_message: str = "") -> dict[str, str]:
    """A status callback's form fields, as Twilio's Messages API posts them (both MessageStatus and the legacy
    SmsStatus, ErrorCode only on undelivered or failed)."""
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": LOCAL_ACCOUNT_SID, "From": LOCAL_SENDER, "To": to,
              "MessageStatus": status, "SmsStatus": status, "ApiVersion": "2010-04-01"}
    if error_code:
        params.update(ErrorCode=error_code, ErrorMessage=error_message)
    return params


def status_callback_post(url: str, params: dict[str, str], *, token: str, client=None) -> int:
    """POST one status callback to `url`, signed with `token` (X-Twilio-Signature over the URL and the fields);
    returns the HTTP status. Raises httpx.HTTPError when the product cannot be reached (the task retries)."""
    signature = RequestValidator(token).compute_signature(url, params)
    http = client or httpx.Client(timeout=10)
    try:
        return http.post(url, data=params, headers={"X-Twilio-Signature": signature}).status_code
    finally:
        if client is None:
            http.close()


@shared_task(name="integrations.twilio.sms.local_status_report_task", autoretry_for=(httpx.TransportError,),
             max_retries=5, retry_backoff=True)
def local_status_report_task(url: str, sid: str, to: str) -> list[int]:
    """The local recorder's delivery reports for one text, in Twilio's order; returns the HTTP statuses."""
    token = settings.TWILIO_AUTH_TOKEN
    return [status_callback_post(url, status_callback_params(sid=sid, to=to, status=status), token=token)
            for status in LOCAL_REPORTED_STATUSES]
