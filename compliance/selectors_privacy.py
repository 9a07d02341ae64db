"""The data we hold on one customer of one store, as JSON, for a data request (Shopify's
`customers/data_request`): exported by an admin, passed on by the store. The sections of the apps above
compliance (customers, carts, calls) come from their registered erasure steps (`services.erasure.steps`)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.forms.models import model_to_dict

from compliance.models import ConsentRecord, ContactAttempt, OptOut, PrivacyRequest
from compliance.services.erasure import steps
from compliance.services.erasure.requests import person_find


def customer_data_export(request: PrivacyRequest) -> dict:
    """Everything about the data request's subject in its store: customers, carts with items and calls' notes,
    contact attempts, consent records and opt-outs. Empty lists once the person has been erased."""
    subject = request.subject or {}
    person = person_find(store=request.store, email=subject.get("email", ""), phone=subject.get("phone", ""),
                         customer_id=subject.get("customer_id", ""), order_ids=tuple(subject.get("orders", ())))
    identity = {"phone__in": person.phones} if person.phones else {"pk__in": []}
    emails = {"email__in": person.emails} if person.emails else {"pk__in": []}
    export: dict = {"request": {"id": request.pk, "reference": subject.get("reference", ""),
                                "store": request.store.shop_domain}}
    for step in steps.registered():  # recovery's customers and carts, agents' calls
        export.update(step.person_export(person))
    return {
        **export,
        "contact_attempts": [instance_dict(row, ["channel", "phone", "email", "at", "outcome", "duration_seconds"])
                             for row in ContactAttempt.objects.filter(store=request.store)
                             .filter(_any(identity, emails)).order_by("at")],
        "consent_records": [instance_dict(row, ["channel", "phone", "email", "basis", "granted", "source", "at"])
                            for row in ConsentRecord.objects.filter(store=request.store)
                            .filter(_any(identity, emails)).order_by("at")],
        "optouts": [instance_dict(row, ["phone", "email", "scope", "action", "source", "at"])
                    for row in OptOut.objects.filter(Q(store=request.store) | Q(store__isnull=True))
                    .filter(_any(identity, emails)).order_by("at")],
    }


def _any(*lookups: dict) -> Q:
    query = Q(pk__in=[])
    for lookup in lookups:
        query |= Q(**lookup)
    return query


def instance_dict(instance, fields: list[str]) -> dict:
    """The named fields of a row, JSON-ready: the export's one shape for every app's rows."""
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
