"""Contact attempts: decided and recorded in one transaction, under a per-recipient lock."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from compliance.models import ContactAttempt
from compliance.services.gate.check import check_contact
from compliance.services.gate.decision import Decision


def _lock_recipient(identity: str) -> None:
    """Serialise attempts to one number (or address) across agents and workers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"contact:{identity}"])


@transaction.atomic
def contact_attempt_start(
    *,
    channel: str,
    store,
    phone: str | None = None,
    email: str | None = None,
    cart=None,
    customer=None,
    agent=None,
    requester: str = "system",
    at: datetime | None = None,
) -> tuple[Decision, ContactAttempt | None]:
    """Ask the gate and, if allowed, record the attempt in the same transaction.

    Returns the decision and the attempt (None when denied). What the attempt means for a cart (the cadence, speed
    to lead) is the recovery app's to record: callers with a cart use `recovery.services.attempts.
    cart_contact_attempt_start`, which calls this first.
    """
    at = at or timezone.now()
    _lock_recipient(phone or (email or "").lower())
    decision = check_contact(channel=channel, store=store, phone=phone, email=email, at=at, cart=cart,
                             customer=customer, requested_by=agent, requester=requester)
    if not decision.allowed:
        return decision, None
    if decision.decision_id is None:  # check_contact audits every decision it is asked for here
        raise RuntimeError("An allowed decision reached the attempt without its audit row.")
    attempt = ContactAttempt.objects.create(
        decision_id=decision.decision_id, store=store, cart=cart, channel=channel, phone=phone or "",
        email=(email or "").lower(), agent=agent, at=at,
    )
    return decision, attempt


def contact_attempt_finish(*, attempt: ContactAttempt, outcome: str, duration_seconds: int | None = None,
                           provider_id: str = "") -> ContactAttempt:
    """Complete the call detail record with what happened."""
    attempt.outcome = outcome
    attempt.duration_seconds = duration_seconds
    attempt.provider_id = provider_id or attempt.provider_id
    attempt.save(update_fields=["outcome", "duration_seconds", "provider_id"])
    return attempt


def contact_attempt_delivery_record(*, attempt_id: int, outcome: str, provider_status: str, provider_id: str = "",
                                    provider_error: str = "") -> int:
    """What became of a text or an email the attempt sent (or failed to send), as its sender reports it; returns
    1 if the attempt exists. The sender (recovery's sequence, agents' link) owns the message, compliance the
    attempt."""
    return ContactAttempt.objects.filter(pk=attempt_id).update(
        outcome=outcome, provider_id=provider_id[:64], provider_status=provider_status,
        provider_error=provider_error[:200])


def contact_attempt_line_record(attempt: ContactAttempt, *, provider_status: str, provider_id: str = "",
                                duration_seconds: int | None = None) -> ContactAttempt:
    """A call's progress on the line (the provider's status, its call id, the duration once ended)."""
    attempt.provider_status = provider_status
    attempt.provider_id = attempt.provider_id or provider_id
    if duration_seconds is not None:
        attempt.duration_seconds = duration_seconds
    attempt.save(update_fields=["provider_status", "provider_id", "duration_seconds"])
    return attempt
