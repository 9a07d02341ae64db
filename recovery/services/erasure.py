"""Recovery's part of an erasure (a person, a store, the retention purge) and of a data request's export: the
customers, carts, cart events, messages and stored webhook bodies are recovery's tables, so recovery erases them.
Compliance orchestrates (`compliance.services.erasure`): `RecoveryErasure` is registered with it from
`RecoveryConfig.ready()` and runs in the erasure's own transaction. What each table loses and keeps is listed in
`compliance.services.erasure`'s docstring."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from compliance.selectors_privacy import instance_dict
from compliance.services.erasure.records import ERASED, ERASED_BODY, NEEDLE_MIN_LENGTH
from compliance.services.erasure.steps import Batch, ErasureStep, Person
from core.log_masking import mask
from recovery.models import Cart, CartEvent, Customer, RecoveryMessage, WebhookDelivery

_CUSTOMER_FIELDS = ["external_id", "first_name", "last_name", "email", "phone", "country", "region", "language",
                    "accepts_email_marketing", "accepts_sms_marketing", "sms_marketing_phone", "orders_count",
                    "lifetime_value", "created_at"]
_CART_FIELDS = ["checkout_token", "external_id", "status", "total_value", "currency", "checkout_url",
                "abandoned_at", "recovered_at", "recovered_order_id"]
_CLOSED = [Cart.Status.RECOVERED, Cart.Status.LOST, Cart.Status.SUPPRESSED, Cart.Status.EXPIRED,
           Cart.Status.COMPLETED]
_HOLDS_PERSONAL_DATA = Q(customer__isnull=False) | ~Q(raw_payload={}) | ~Q(checkout_url="") | ~Q(error_text="")


def customer_person_find(person: Person, *, email: str, phone: str, customer_id: str,
                         order_ids: tuple[str, ...]) -> None:
    """Add the store's customers matching any identifier given, their carts and the listed orders' carts."""
    match = Q(pk__in=[])
    if customer_id:
        match |= Q(external_id=customer_id)
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(phone=phone) | Q(sms_marketing_phone=phone)
    for customer in Customer.objects.filter(match, store_id=person.store_id):
        person.customer_ids.add(customer.pk)
        person.phones |= {str(number) for number in (customer.phone, customer.sms_marketing_phone) if number}
        person.emails |= {customer.email.lower()} - {""}
        person.needles |= {customer.email, customer.phone_raw, customer.external_id, str(customer.phone)} - {""}
    cart_match = Q(customer_id__in=person.customer_ids)
    if order_ids:
        cart_match |= Q(recovered_order_id__in=order_ids)
    carts = Cart.objects.filter(cart_match, store_id=person.store_id)
    for cart_id, token, external_id in carts.values_list("pk", "checkout_token", "external_id"):
        person.cart_ids.add(cart_id)
        person.needles |= {token, external_id} - {""}


def cart_data_erase(cart_ids: list[int], *, counts: Counter) -> None:
    """A cart keeps what it was worth and what happened to it; it loses its customer, payload, link and any
    words about the person: messages' recipients, reasons that quote a number or address."""
    counts["recovery_messages_erased"] += (RecoveryMessage.objects.filter(cart_id__in=cart_ids)
                                           .exclude(recipient="").update(recipient=""))
    for message in RecoveryMessage.objects.filter(cart_id__in=cart_ids).exclude(detail="").only("pk", "detail"):
        if mask(message.detail) != message.detail:
            RecoveryMessage.objects.filter(pk=message.pk).update(detail=mask(message.detail))
    for event in CartEvent.objects.filter(cart_id__in=cart_ids).exclude(detail={}).only("pk", "detail"):
        masked = json.loads(mask(json.dumps(event.detail)))
        if masked != event.detail:  # history rows never change otherwise; erasure is the one exception
            CartEvent.objects.filter(pk=event.pk).update(detail=masked)
    for cart in Cart.objects.filter(pk__in=cart_ids).only("pk", "status_reason"):
        if mask(cart.status_reason) != cart.status_reason:
            Cart.objects.filter(pk=cart.pk).update(status_reason=mask(cart.status_reason))
    counts["carts_erased"] += (
        Cart.objects.filter(pk__in=cart_ids).filter(_HOLDS_PERSONAL_DATA)
        .update(customer=None, raw_payload={}, checkout_url="", error_text="")
    )


def customers_delete(customer_ids: set[int], *, counts: Counter) -> None:
    """Customers go entirely (names, number, address, consent flags); consent records keep their id."""
    deleted, _ = Customer.objects.filter(pk__in=list(customer_ids)).delete()
    counts["customers_deleted"] += deleted


def customer_data_erase(person: Person, *, counts: Counter) -> None:
    """The person's customers, and the stored webhook bodies that mention them (after their carts' erasure)."""
    customers_delete(person.customer_ids, counts=counts)
    deliveries_erase(deliveries_mentioning(store_id=person.store_id, needles=person.needles), counts=counts)


def deliveries_mentioning(*, store_id: int, needles: set[str]) -> list[int]:
    """The store's stored webhook deliveries whose body mentions one of `needles` (an address, a number, a
    checkout token, a customer or order id), case-insensitively, and is not erased yet.

    Bodies are searched as escaped text, so an identifier with non-ASCII characters is found only where the
    sender wrote it escaped; the checkout tokens and ids, plain ASCII, find every delivery about a cart.
    """
    wanted = sorted({needle.lower() for needle in needles if len(needle) >= NEEDLE_MIN_LENGTH})
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM recovery_webhookdelivery WHERE store_id = %s AND raw_body <> %s "
            "AND EXISTS (SELECT FROM unnest(%s::text[]) AS needle "
            "            WHERE strpos(lower(encode(raw_body, 'escape')), needle) > 0)",
            [store_id, ERASED_BODY, wanted],
        )
        return [pk for (pk,) in cursor.fetchall()]


def deliveries_erase(delivery_ids: list[int], *, counts: Counter) -> None:
    """Replace stored webhook bodies (and the errors that may quote them) with a marker; headers, topic and
    outcome stay, so the inbox still shows that the delivery came and what became of it."""
    rows = WebhookDelivery.objects.filter(pk__in=delivery_ids).exclude(raw_body=ERASED_BODY)
    rows.exclude(error="").update(error=ERASED)
    counts["webhook_deliveries_erased"] += rows.update(raw_body=ERASED_BODY)


def store_data_erase_batches(store_id: int, *, people_erase: Callable[[Person], None],
                             carts_erase: Callable[[list[int]], None], counts: Counter) -> list[Batch]:
    """A store's erasure: its customers (each batch erased as one person, their bodies in the inbox go with the
    store's, later), then its carts; the stored webhook bodies come last, after compliance's rows."""
    def customers_batch(customers: QuerySet) -> None:
        person = Person(store_id=store_id, customer_ids=set(customers.values_list("pk", flat=True)))
        for phone, sms_phone, email in customers.values_list("phone", "sms_marketing_phone", "email"):
            person.phones |= {str(phone or ""), str(sms_phone or "")} - {""}
            person.emails |= {email.lower()} - {""}
        person.cart_ids = set(Cart.objects.filter(customer_id__in=person.customer_ids).values_list("pk", flat=True))
        people_erase(person)

    return [
        (Customer.objects.filter(store_id=store_id), customers_batch),
        (Cart.objects.filter(store_id=store_id), lambda rows: carts_erase(list(rows.values_list("pk", flat=True)))),
    ]


def store_deliveries_erase_batches(store_id: int, *, counts: Counter) -> list[Batch]:
    return [(WebhookDelivery.objects.filter(store_id=store_id),
             lambda rows: deliveries_erase(list(rows.values_list("pk", flat=True)), counts=counts))]


def carts_due_for_purge(*, cutoff: datetime) -> QuerySet:
    """Closed carts (recovered, lost, suppressed, expired, completed) closed before `cutoff` that still hold
    personal data. A cart's closing time is when it was recovered or completed, else its last change."""
    return (Cart.objects.filter(status__in=_CLOSED)
            .alias(closed_at=Coalesce("recovered_at", "completed_at", "updated_at")).filter(closed_at__lt=cutoff)
            .filter(_HOLDS_PERSONAL_DATA))


def customers_freed(cart_ids: list[int], *, due: QuerySet) -> set[int]:
    """The customers of these carts whom no cart that is kept (not due for purge) needs any more."""
    customer_ids = set(Cart.objects.filter(pk__in=cart_ids).exclude(customer__isnull=True)
                       .values_list("customer_id", flat=True))
    needed = set(Cart.objects.filter(customer_id__in=customer_ids).exclude(pk__in=cart_ids)
                 .exclude(pk__in=due.values("pk")).values_list("customer_id", flat=True))
    return customer_ids - needed


def customer_data_export(person: Person) -> dict[str, list]:
    """The person's customers, and their carts with items."""
    carts = Cart.objects.filter(pk__in=person.cart_ids).prefetch_related("line_items").order_by("pk")
    return {
        "customers": [instance_dict(row, _CUSTOMER_FIELDS)
                      for row in Customer.objects.filter(pk__in=person.customer_ids)],
        "carts": [{**instance_dict(cart, _CART_FIELDS),
                   "items": [instance_dict(item, ["title", "sku", "variant", "quantity", "unit_price"])
                             for item in cart.line_items.all()]} for cart in carts],
    }


class RecoveryErasure(ErasureStep):
    """Recovery's hooks in compliance's erasure (registered in `RecoveryConfig.ready()`)."""

    def person_find(self, person, *, email, phone, customer_id, order_ids):
        customer_person_find(person, email=email, phone=phone, customer_id=customer_id, order_ids=order_ids)

    def carts_erase(self, cart_ids, *, counts):
        cart_data_erase(cart_ids, counts=counts)

    def person_erase(self, person, *, counts):
        customer_data_erase(person, counts=counts)

    def customers_delete(self, customer_ids, *, counts):
        customers_delete(customer_ids, counts=counts)

    def store_batches(self, store_id, *, people_erase, carts_erase, counts):
        return store_data_erase_batches(store_id, people_erase=people_erase, carts_erase=carts_erase, counts=counts)

    def store_last_batches(self, store_id, *, counts):
        return store_deliveries_erase_batches(store_id, counts=counts)

    def carts_due_for_purge(self, *, cutoff):
        return carts_due_for_purge(cutoff=cutoff)

    def customers_freed(self, cart_ids, *, due):
        return customers_freed(cart_ids, due=due)

    def retention_batches(self, *, cutoff, counts):
        old = (WebhookDelivery.objects.filter(received_at__lt=cutoff)
               .exclude(status=WebhookDelivery.Status.PENDING).exclude(raw_body=ERASED_BODY))
        return [(old, lambda rows: deliveries_erase(list(rows.values_list("pk", flat=True)), counts=counts))]

    def person_export(self, person):
        return customer_data_export(person)
