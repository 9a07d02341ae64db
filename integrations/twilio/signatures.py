"""The one check of Twilio's request signature, used by every Twilio webhook (texts, their delivery reports, voice).

The signature is checked with the `twilio` package's RequestValidator against the public URL Twilio called
(`PUBLIC_BASE_URL` behind a proxy, else the URL the request arrived at).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator


def public_url(request: HttpRequest) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


def public_url_for(request: HttpRequest, path: str) -> str:
    """The public address of another of our paths (for the callbacks we give Twilio)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def signed_by_twilio(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(public_url(request), request.POST.dict(), signature)
