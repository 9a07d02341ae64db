"""Delivery reports for texts: Twilio's status callbacks update the contact attempt.

Twilio may deliver callbacks out of order (a late "sent" after "delivered"), so a status
only replaces one that comes before it in a message's life; a final status stays.
"""

from __future__ import annotations

from django.db import transaction

from compliance.models import ContactAttempt

# A message's life: queued/accepted -> sending -> sent -> delivered | undelivered | failed (-> read).
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4,
               "undelivered": 4, "failed": 4, "canceled": 4, "read": 5}
# What the attempt's outcome becomes for each status the customer's phone could be said to have reached.
OUTCOMES = {"delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
            "canceled": "failed"}


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
    current = STATUS_RANK.get(attempt.provider_status, -1)
    if STATUS_RANK[status] < current or (current == 4 and status != "read"):
        return attempt  # late or repeated report: keep what we know
    attempt.provider_status = status
    attempt.outcome = OUTCOMES.get(status, attempt.outcome or "sent")
    if error_code:
        attempt.provider_error = f"{error_code}: {error_message}".strip(": ")[:200]
    attempt.save(update_fields=["provider_status", "outcome", "provider_error"])
    return attempt
