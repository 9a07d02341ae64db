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
