"""Reading the audit trail: admins' searches."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.models.trail import AuditEvent


def audit_events(*, who: str | None = None, action: str | None = None, subject: str | None = None,
                 since: date | None = None, until: date | None = None, q: str | None = None) -> QuerySet:
    """Newest first; `until` is inclusive (the whole day)."""
    rows = AuditEvent.objects.order_by("-at", "-pk")
    if who:
        rows = rows.filter(actor_name__icontains=who)
    if action:
        rows = rows.filter(action=action)
    if subject:
        rows = rows.filter(subject_type__icontains=subject)
    zone = timezone.get_default_timezone()
    if since:
        rows = rows.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min), zone))
    if until:
        rows = rows.filter(at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), zone))
    if q:
        rows = rows.filter(Q(summary__icontains=q) | Q(subject_id=q) | Q(path__icontains=q))
    return rows
