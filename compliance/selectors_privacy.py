"""The data we hold on one customer of one store, as JSON, for a data request (Shopify's
`customers/data_request`): exported by an admin, passed on by the store."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.forms.models import model_to_dict

from agents.models import Call
from compliance.models import ConsentRecord, ContactAttempt, OptOut, PrivacyRequest
from compliance.services.erasure.requests import person_find
from recovery.models import Cart, Customer

_CUSTOMER_FIELDS = ["external_id", "first_name", "last_name", "email", "phone", "country", "region", "language",
                    "accepts_email_marketing", "accepts_sms_marketing", "sms_marketing_phone", "orders_count",
                    "lifetime_value", "created_at"]
_CART_FIELDS = ["checkout_token", "external_id", "status", "total_value", "currency", "checkout_url",
                "abandoned_at", "recovered_at", "recovered_order_id"]


def customer_data_export(request: PrivacyRequest) -> dict:
    """Everything about the data request's subject in its store: customers, carts with items and calls' notes,
    contact attempts, consent records and opt-outs. Empty lists once the person has been erased."""
    subject = request.subject or {}
    person = person_find(store=request.store, email=subject.get("email", ""), phone=subject.get("phone", ""),
                         customer_id=subject.get("customer_id", ""), order_ids=tuple(subject.get("orders", ())))
    identity = {"phone__in": person.phones} if person.phones else {"pk__in": []}
    emails = {"email__in": person.emails} if person.emails else {"pk__in": []}
    carts = Cart.objects.filter(pk__in=person.cart_ids).prefetch_related("line_items").order_by("pk")
    return {
        "request": {"id": request.pk, "reference": subject.get("reference", ""), "store": request.store.shop_domain},
        "customers": [_dict(row, _CUSTOMER_FIELDS) for row in Customer.objects.filter(pk__in=person.customer_ids)],
        "carts": [{**_dict(cart, _CART_FIELDS),
                   "items": [_dict(item, ["title", "sku", "variant", "quantity", "unit_price"])
                             for item in cart.line_items.all()]} for cart in carts],
        "calls": [_dict(call, ["opened_at", "answer", "disposition", "notes", "friction_notes", "offer_notes"])
                  for call in Call.objects.filter(cart_id__in=person.cart_ids).order_by("opened_at")],
        "contact_attempts": [_dict(row, ["channel", "phone", "email", "at", "outcome", "duration_seconds"])
                             for row in ContactAttempt.objects.filter(store=request.store)
                             .filter(_any(identity, emails)).order_by("at")],
        "consent_records": [_dict(row, ["channel", "phone", "email", "basis", "granted", "source", "at"])
                            for row in ConsentRecord.objects.filter(store=request.store)
                            .filter(_any(identity, emails)).order_by("at")],
        "optouts": [_dict(row, ["phone", "email", "scope", "action", "source", "at"])
                    for row in OptOut.objects.filter(Q(store=request.store) | Q(store__isnull=True))
                    .filter(_any(identity, emails)).order_by("at")],
    }


def _any(*lookups: dict) -> Q:
    query = Q(pk__in=[])
    for lookup in lookups:
        query |= Q(**lookup)
    return query


def _dict(instance, fields: list[str]) -> dict:
    values = model_to_dict(instance, fields=fields)
    for name in fields:  # model_to_dict leaves out non-editable fields (created_at)
        values.setdefault(name, getattr(instance, name))
    return {name: _plain(values[name]) for name in fields}


def _plain(value):
    """JSON-ready: numbers in E.164, times in ISO 8601, money as a string."""
    if hasattr(value, "as_e164"):
        return value.as_e164
    if value is None or isinstance(value, bool | int | str):
        return value
    return DjangoJSONEncoder().default(value)
