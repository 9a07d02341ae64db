"""Erasure requests: one customer of one store (Shopify's `customers/redact`, `manage.py erase_customer`) or a
whole store (`shop/redact`), and Shopify's data requests, recorded for export."""

from __future__ import annotations

import logging
from collections import Counter

from django.db import transaction
from django.db.models import Q
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
from compliance.services.erasure.steps import Person
from core.phones import phone_to_e164

logger = logging.getLogger(__name__)


def normalized_phone(phone: str) -> str:
    """E.164 for a number as a request wrote it (national numbers in the default region), or '' when invalid."""
    return phone_to_e164(phone.strip()) or ""


def person_find(*, store, email: str = "", phone: str = "", customer_id: str = "",
                order_ids: tuple[str, ...] = ()) -> Person:
    """The store's customers matching any identifier given, their carts and the listed orders' carts, as the
    registered steps find them (`recovery`'s customers and carts)."""
    email, phone = email.strip().lower(), normalized_phone(phone)
    person = Person(store_id=store.pk, phones={phone} - {""}, emails={email} - {""},
                    needles={email, phone, phone.lstrip("+"), customer_id, *order_ids} - {""})
    for step in steps.registered():
        step.person_find(person, email=email, phone=phone, customer_id=customer_id, order_ids=order_ids)
    return person


def person_erase(person: Person, *, request: PrivacyRequest, suppress: bool) -> Counter:
    """Erase one person's data in their store, in the caller's transaction; returns the counts."""
    counts: Counter = Counter()
    records.request_bind(request)
    counts["suppressions_created"] += records.suppressions_record(
        phones=person.phones, emails=person.emails, request=request, requested=suppress)
    counts["internal_dnc_removed"] += records.internal_dnc_remove(phones=person.phones, request=request)
    identity = Q(phone__in=person.phones) | Q(email__in=person.emails)
    records.attempts_erase(ContactAttempt.objects.filter(Q(cart_id__in=person.cart_ids) | identity,
                                                         store_id=person.store_id), request=request, counts=counts)
    records.decisions_erase(ContactDecision.objects.filter(identity, store_id=person.store_id), counts=counts)
    records.optouts_erase(OptOut.objects.filter(identity).filter(Q(store_id=person.store_id) | Q(store__isnull=True)),
                          counts=counts)
    records.inbound_messages_erase(InboundMessage.objects.filter(from_number__in=person.phones).filter(
        Q(store_id=person.store_id) | Q(store__isnull=True)), counts=counts)
    records.consents_hold(ConsentRecord.objects.filter(Q(customer_id__in=person.customer_ids) | identity,
                                                       store_id=person.store_id), request=request, counts=counts)
    carts_erase(sorted(person.cart_ids), counts=counts)
    for step in steps.registered():  # customers, and the webhook bodies that mention them
        step.person_erase(person, counts=counts)
    counts["data_requests_erased"] += _data_requests_erase(person)
    return counts


def carts_erase(cart_ids: list[int], *, counts: Counter) -> None:
    """What every app keeps about these carts that could name a person (agents' notes, messages, payloads)."""
    for step in steps.registered():
        step.carts_erase(cart_ids, counts=counts)


def _data_requests_erase(person: Person) -> int:
    """Data requests keep whom to export; an erasure of the same person removes that too."""
    erased = 0
    rows = PrivacyRequest.objects.filter(store_id=person.store_id, kind=PrivacyRequest.Kind.DATA_REQUEST)
    for row in rows.exclude(subject={}):
        subject = row.subject
        if (subject.get("email", "").lower() in person.emails or normalized_phone(subject.get("phone", ""))
                in person.phones or str(subject.get("customer_id", "")) in person.needles):
            erased += PrivacyRequest.objects.filter(pk=row.pk).update(subject={})
    return erased


@transaction.atomic
def customer_erase(*, store, source: str, requested_by: str = "", email: str = "", phone: str = "",
                   customer_id: str = "", order_ids: tuple[str, ...] = (), suppress: bool = False) -> PrivacyRequest:
    """Erase one customer's personal data in one store, in one transaction, and return the request's record.

    A second identical request finds nothing left and changes nothing (its record shows zero counts).
    `suppress` keeps the person uncontactable even without an opt-out (they asked to be erased to stop contact).
    """
    if not (email or phone or customer_id):
        raise ValueError("customer_erase needs an email, a phone or a customer id")
    request = PrivacyRequest.objects.create(kind=PrivacyRequest.Kind.CUSTOMER_REDACT, source=source, store=store,
                                            requested_by=requested_by[:100], at=timezone.now())
    person = person_find(store=store, email=email, phone=phone, customer_id=str(customer_id or ""),
                         order_ids=tuple(str(order_id) for order_id in order_ids))
    counts = person_erase(person, request=request, suppress=suppress)
    return request_complete(request, counts)


def request_complete(request: PrivacyRequest, counts: Counter) -> PrivacyRequest:
    request.counts = {name: count for name, count in sorted(counts.items()) if count}
    request.completed_at = timezone.now()
    request.save(update_fields=["counts", "completed_at"])
    logger.info("Privacy request %s (%s) done: %s", request.pk, request.kind, request.counts or "nothing to erase")
    return request


def data_request_record(*, store, source: str, requested_by: str = "", customer_id: str = "", email: str = "",
                        phone: str = "", orders: tuple[str, ...] = (), reference: str = "") -> PrivacyRequest:
    """Record a request to see the data we hold on a customer; an admin exports it (Privacy requests → Export
    the customers' data), and the store passes it on. Whom to export is kept until the person is erased."""
    subject = {"customer_id": str(customer_id or ""), "email": email.strip().lower(), "phone": phone.strip(),
               "orders": [str(order) for order in orders], "reference": str(reference or "")}
    request = PrivacyRequest.objects.create(kind=PrivacyRequest.Kind.DATA_REQUEST, source=source, store=store,
                                            requested_by=requested_by[:100], subject=subject, at=timezone.now())
    logger.info("Privacy request %s: data request recorded for export", request.pk)
    return request
