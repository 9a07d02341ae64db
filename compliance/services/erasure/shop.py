"""A whole store's erasure (Shopify's `shop/redact`, 48 hours after the store uninstalled the app): every
customer as in a customer erasure, then whatever else still names someone, in batches so that a large store
never holds one huge transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.models import (
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    InboundMessage,
    OptOut,
    PrivacyRequest,
)
from compliance.services.erasure import records, steps
from compliance.services.erasure.requests import carts_erase, person_erase, request_complete
from compliance.services.erasure.steps import Batch

SHOP_BATCH_SIZE = 500  # customers (then carts) per transaction when a whole store is erased


def shop_erase(*, store, source: str, requested_by: str = "",
               batch_size: int = SHOP_BATCH_SIZE) -> PrivacyRequest:
    """Erase every customer's personal data in `store` and return the request's record (counts summed).

    Each batch of `batch_size` rows commits on its own; an interrupted run is finished by running it again.
    """
    request = PrivacyRequest.objects.create(kind=PrivacyRequest.Kind.SHOP_REDACT, source=source, store=store,
                                            requested_by=requested_by[:100], at=timezone.now())
    counts: Counter = Counter()
    batches: list[Batch] = []
    for step in steps.registered():  # recovery: the customers (erased as people), then the carts
        batches += step.store_batches(
            store.pk, people_erase=lambda person: counts.update(person_erase(person, request=request, suppress=False)),
            carts_erase=lambda cart_ids: carts_erase(cart_ids, counts=counts), counts=counts)
    batches += [
        (ContactAttempt.objects.filter(store=store),
         lambda rows: records.attempts_erase(rows, request=request, counts=counts)),
        (ContactDecision.objects.filter(store=store), lambda rows: records.decisions_erase(rows, counts=counts)),
        (OptOut.objects.filter(store=store), lambda rows: _optouts_erase(rows, request, counts)),
        (InboundMessage.objects.filter(store=store), lambda rows: records.inbound_messages_erase(rows, counts=counts)),
        (ConsentRecord.objects.filter(store=store),
         lambda rows: records.consents_hold(rows, request=request, counts=counts)),
    ]
    for step in steps.registered():  # recovery: the stored webhook bodies
        batches += step.store_last_batches(store.pk, counts=counts)
    for rows, erase in batches:
        batches_run(rows, erase, request=request, batch_size=batch_size)
    return request_complete(request, counts)


def batches_run(rows: QuerySet, erase: Callable[[QuerySet], None], *, request: PrivacyRequest,
                batch_size: int) -> None:
    """Run `erase` on `rows` `batch_size` primary keys at a time, each batch in its own transaction."""
    last = 0
    while True:
        ids = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        with transaction.atomic():
            records.request_bind(request)
            erase(rows.model.objects.filter(pk__in=ids))
        last = ids[-1]


def _optouts_erase(optouts: QuerySet, request: PrivacyRequest, counts: Counter) -> None:
    """The store's own opt-out rows for people who were not (or no longer) its customers: suppress, then erase."""
    pending = optouts.filter(~Q(phone="") | ~Q(email=""))
    phones = set(pending.exclude(phone="").values_list("phone", flat=True))
    emails = set(pending.exclude(email="").values_list("email", flat=True))
    counts["suppressions_created"] += records.suppressions_record(phones=phones, emails=emails, request=request,
                                                                  requested=False)
    records.optouts_erase(optouts, counts=counts)
