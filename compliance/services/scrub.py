"""Re-check open carts against the current lists and opt-outs; suppress the unreachable.

A cart is suppressed when no channel could ever reach its customer: every
channel is denied for a lasting reason (a DNC list, an opt-out, an unusable
number or address). Waiting-type denials (hours, caps) and list staleness do
not suppress: they pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compliance.models import Channel
from compliance.services.gate import Decision, check_contact
from recovery.models import Cart, CartEvent

logger = logging.getLogger(__name__)

LASTING_PREFIXES = ("dnc_", "opted_out_", "invalid_")
SCRUB_BATCH_SIZE = 500


def _lasting(decision: Decision) -> bool:
    return not decision.allowed and any(reason.startswith(LASTING_PREFIXES) for reason in decision.reasons)


def cart_reachability(cart, *, at: datetime) -> list[Decision] | None:
    """The lasting denials for each channel of the cart's customer, or None if some channel remains."""
    customer = cart.customer
    checks = []
    if customer and customer.phone:
        checks += [(Channel.VOICE, {"phone": str(customer.phone)}), (Channel.SMS, {"phone": str(customer.phone)})]
    if customer and customer.email:
        checks.append((Channel.EMAIL, {"email": customer.email}))
    denials = []
    for channel, identity in checks:
        decision = check_contact(channel=channel, store=cart.store, at=at, customer=customer, audit=False, **identity)
        if "internal_error" in decision.reasons or not _lasting(decision):
            return None
        denials.append(decision)
    return denials


@dataclass
class ScrubResult:
    checked: int = 0
    suppressed: list[int] = field(default_factory=list)


def carts_scrub(
    *, dry_run: bool = False, at: datetime | None = None, batch_size: int = SCRUB_BATCH_SIZE
) -> ScrubResult:
    """Scrub every open cart, in batches of primary keys."""
    at = at or timezone.now()
    result = ScrubResult()
    last_pk = 0
    while True:
        open_carts = Cart.objects.open().filter(pk__gt=last_pk).order_by("pk")
        batch = list(open_carts.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return result
        last_pk = batch[-1]
        for cart_id in batch:
            result.checked += 1
            if cart_scrub(cart_id=cart_id, at=at, dry_run=dry_run):
                result.suppressed.append(cart_id)


@transaction.atomic
def cart_scrub(*, cart_id: int, at: datetime, dry_run: bool = False) -> bool:
    """Suppress one open cart if nobody may contact its customer; True if it was (or would be)."""
    cart = (
        Cart.objects.select_for_update(of=("self",)).select_related("store", "customer")
        .filter(pk=cart_id, status=Cart.Status.OPEN).first()
    )
    if cart is None:
        return False
    denials = cart_reachability(cart, at=at)
    if denials is None:
        return False
    if dry_run:
        return True
    reasons = sorted({reason for decision in denials for reason in decision.reasons})
    sentences = [sentence for decision in denials for sentence in decision.explanations]
    cart.status = Cart.Status.SUPPRESSED
    cart.status_reason = " ".join(dict.fromkeys(sentences))[:1000] or "No channel may contact this customer."
    cart.save(update_fields=["status", "status_reason", "updated_at"])
    CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.STATUS_CHANGED, source=CartEvent.Source.SYSTEM, at=at,
                             detail={"previous": "open", "status": "suppressed", "reasons": reasons})
    return True
