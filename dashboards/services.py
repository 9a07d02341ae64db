"""Writes for the dashboards: emailing the live view's alerts to the supervisors who asked for them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboards.live import floor_now
from dashboards.models import AlertNotice


def alerts_email(*, now: datetime | None = None) -> int:
    """Email each new alert once to LIVE_ALERT_EMAILS (nothing when unset); returns how many were sent."""
    recipients = [address for address in settings.LIVE_ALERT_EMAILS if address]
    if not recipients:
        return 0
    now = now or timezone.now()
    fresh = []
    for alert in floor_now(now=now)["alerts"]:
        try:
            with transaction.atomic():
                AlertNotice.objects.create(kind=alert.kind, key=alert.key, text=alert.text[:500], emailed_at=now)
        except IntegrityError:
            continue  # emailed before
        fresh.append(alert.text)
    if fresh:
        subject = f"Cart recovery: {len(fresh)} alert{'s' if len(fresh) != 1 else ''} on the floor"
        body = "\n".join(f"- {text}" for text in fresh) + "\n\nLive view: " + settings.LINK_BASE_URL.rstrip("/") \
            + "/dashboards/live/\n"
        send_mail(subject, body, None, recipients)
    return len(fresh)
