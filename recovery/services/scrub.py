"""Re-check open carts against the current lists and opt-outs; suppress the unreachable.

Compliance gives the verdict (`compliance.services.scrub.cart_unreachable`: which customers nobody may contact
any more, and why); recovery, which owns the carts, applies it. Runs nightly (Celery beat), after every DNC import
(compliance announces the change, recovery queues `scrub_open_carts_task`) and by `manage.py scrub_carts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compliance.services.scrub import Unreachable, cart_unreachable
from recovery.models import Cart, CartEvent

logger = logging.getLogger(__name__)

SCRUB_BATCH_SIZE = 500


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
    verdict = cart_unreachable(cart, at=at)
    if verdict is None:
        return False
    if not dry_run:
        cart_suppress(cart=cart, verdict=verdict, at=at)
    return True


def cart_suppress(*, cart: Cart, verdict: Unreachable, at: datetime) -> Cart:
    """Close an open cart (locked by the caller) as suppressed, with the verdict's words, and say so in its
    history."""
    cart.status = Cart.Status.SUPPRESSED
    cart.status_reason = verdict.explanation
    cart.save(update_fields=["status", "status_reason", "updated_at"])
    CartEvent.objects.create(cart=cart, kind=CartEvent.Kind.STATUS_CHANGED, source=CartEvent.Source.SYSTEM, at=at,
                             detail={"previous": "open", "status": "suppressed", "reasons": verdict.reasons})
    return cart
