"""Consent records: what the customer agreed to, on which basis, from where, when."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from compliance.models import ConsentRecord
from compliance.models.choices import ConsentBasis


def consent_record(
    *,
    store,
    channel: str,
    granted: bool,
    source: str,
    basis: str = ConsentBasis.EXPRESS_WRITTEN,
    phone: str = "",
    email: str = "",
    customer=None,
    evidence: str = "",
    at: datetime | None = None,
) -> ConsentRecord:
    """Append a consent grant or withdrawal (kept 5 years)."""
    record = ConsentRecord(
        store=store, customer=customer, channel=channel, granted=granted, source=source, basis=basis,
        phone=phone, email=(email or "").lower(), evidence=evidence, at=at or timezone.now(),
    )
    # Shoppers' addresses may be internationalised (SMTPUTF8), which Django's validator refuses;
    # a consent record must never be lost over that.
    record.full_clean(exclude=["store", "customer", "email"])
    record.save()
    return record
