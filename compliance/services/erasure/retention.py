"""Retention: the personal data of carts closed more than `RETENTION_DAYS` ago (default 365) is purged nightly
with the erasure's own steps, except the records the law makes us keep, which are held and marked; held
records are erased in turn when their hold runs out. Batched (each batch commits on its own), idempotent,
logged with counts only."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from compliance.models import (
    Channel,
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    InboundMessage,
    LegalHold,
    PrivacyRequest,
)
from compliance.services.erasure import records, steps
from compliance.services.erasure.requests import carts_erase, request_complete
from compliance.services.erasure.shop import batches_run

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 365
RETENTION_BATCH_SIZE = 500  # carts (or holds, decisions, deliveries) per transaction


def retention_days() -> int:
    return int(getattr(settings, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def retention_purge(*, now: datetime | None = None, days: int | None = None,
                    batch_size: int = RETENTION_BATCH_SIZE) -> PrivacyRequest:
    """Purge what is due and return the run's record with its counts; running it again purges nothing more."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days() if days is None else days)
    request = PrivacyRequest.objects.create(kind=PrivacyRequest.Kind.RETENTION,
                                            source=PrivacyRequest.Source.RETENTION, at=now)
    counts: Counter = Counter()
    for step in steps.registered():  # recovery: the closed carts due for purge
        due = step.carts_due_for_purge(cutoff=cutoff)
        if due is not None:
            batches_run(due, lambda carts, due=due: _carts_purge(carts, due=due, request=request, counts=counts),
                        request=request, batch_size=batch_size)
    old_decisions = (ContactDecision.objects.filter(at__lt=cutoff).filter(~Q(phone="") | ~Q(email=""))
                     .exclude(attempt__channel=Channel.VOICE))  # call records wait for their hold
    batches_run(old_decisions, lambda rows: records.decisions_erase(rows, counts=counts), request=request,
                batch_size=batch_size)
    old_texts = InboundMessage.objects.filter(received_at__lt=cutoff).exclude(from_number="",
                                                                             body__in=["", records.ERASED])
    batches_run(old_texts, lambda rows: records.inbound_messages_erase(rows, counts=counts), request=request,
                batch_size=batch_size)
    for step in steps.registered():  # recovery: the stored webhook bodies older than the cutoff
        for rows, erase in step.retention_batches(cutoff=cutoff, counts=counts):
            batches_run(rows, erase, request=request, batch_size=batch_size)
    holds = LegalHold.objects.filter(released_at__isnull=True, retained_until__lt=now)
    batches_run(holds, lambda rows: _holds_release(rows, now=now, counts=counts), request=request,
                batch_size=batch_size)
    return request_complete(request, counts)


def _carts_purge(carts, *, due, request: PrivacyRequest, counts: Counter) -> None:
    """One batch of due carts: their attempts and carts erased, and their customers deleted once no cart that
    is not due needs them (their consent records held)."""
    cart_ids = list(carts.values_list("pk", flat=True))
    records.attempts_erase(ContactAttempt.objects.filter(cart_id__in=cart_ids), request=request, counts=counts)
    gone: set[int] = set()
    for step in steps.registered():
        gone |= step.customers_freed(cart_ids, due=due)
    records.consents_hold(ConsentRecord.objects.filter(customer_id__in=gone), request=request, counts=counts)
    carts_erase(cart_ids, counts=counts)
    for step in steps.registered():
        step.customers_delete(gone, counts=counts)


def _holds_release(holds, *, now: datetime, counts: Counter) -> None:
    """Records whose legal hold has run out lose what personal data they kept."""
    by_type: dict[str, list[int]] = {}
    for record_type, record_id in holds.values_list("record_type", "record_id"):
        by_type.setdefault(record_type, []).append(record_id)
    attempts = ContactAttempt.objects.filter(pk__in=by_type.get(LegalHold.Record.CONTACT_ATTEMPT, []))
    records.decisions_erase(ContactDecision.objects.filter(attempt__in=attempts), counts=counts,
                            keep_call_records=False)
    counts["held_call_records_erased"] += attempts.update(phone="", email="", provider_error="")
    counts["held_consent_records_erased"] += (
        ConsentRecord.objects.filter(pk__in=by_type.get(LegalHold.Record.CONSENT_RECORD, []))
        .filter(~Q(phone="") | ~Q(email="") | ~Q(evidence="")).update(phone="", email="", evidence="")
    )
    counts["legal_holds_released"] += holds.update(released_at=now)
