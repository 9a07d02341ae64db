"""Delivery reports for texts: Twilio's status callbacks update the contact attempt.

Each (message, status) pair is applied at most once, by a guarded update rather than a table of seen callbacks:
a status is applied only when it moves the message forward in its life (`STATUS_RANK` strictly higher than the
stored one), and nothing follows a failure. A status the attempt already has, or any earlier one, therefore
changes nothing, whether Twilio delivers callbacks out of order (a late "sent" after "delivered"), retries one,
or someone replays a captured one (a "delivered" or "read" posted after "undelivered").
"""

from __future__ import annotations

from django.db import transaction

from compliance.models import ContactAttempt

# A message's life: queued/accepted -> sending -> sent -> delivered | undelivered | failed (-> read).
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
               "undelivered": 4, "failed": 4, "canceled": 4, "read": 5}
# Final statuses after which nothing more can happen to the message ("read" follows "delivered" only).
FAILED = {"undelivered", "failed", "canceled"}
# What the attempt's outcome becomes for each status the customer's phone could be said to have reached.
OUTCOMES = {"delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
            "canceled": "failed"}


def status_advances(current: str, new: str) -> bool:
    """Whether `new` moves a message whose stored status is `current` forward (unknown `current`: anything does)."""
    return current not in FAILED and STATUS_RANK[new] > STATUS_RANK.get(current, -1)


@transaction.atomic
def attempt_delivery_status_record(*, provider_id: str, status: str, error_code: str = "",
                                   error_message: str = "") -> ContactAttempt | None:
    """Apply one status callback; returns the attempt, or None for a message we did not send."""
    status = status.strip().lower()
    if not provider_id or status not in STATUS_RANK:
        return None
    attempt = ContactAttempt.objects.select_for_update().filter(provider_id=provider_id).first()
    if attempt is None:
        return None
    if not status_advances(attempt.provider_status, status):
        return attempt  # late, repeated or replayed report: keep what we know
    attempt.provider_status = status
    attempt.outcome = OUTCOMES.get(status, attempt.outcome or "sent")
    if error_code:
        attempt.provider_error = f"{error_code}: {error_message}".strip(": ")[:200]
    attempt.save(update_fields=["provider_status", "outcome", "provider_error"])
    return attempt
