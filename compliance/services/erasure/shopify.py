"""Shopify's mandatory privacy webhooks, applied from the inbox.

Payloads as Shopify documents them:
- `customers/redact`: `{"shop_id", "shop_domain", "customer": {"id", "email", "phone"}, "orders_to_redact": [ids]}`
  (sometimes only an email): the customer and the listed orders are erased at once, in the delivery's transaction;
- `shop/redact`: `{"shop_id", "shop_domain"}`, 48 hours after the store uninstalled the app: checked here, and the
  store's erasure queued by the caller, which owns the store (`recovery.tasks.erase_store_task`; it runs in
  batches);
- `customers/data_request`: `{"shop_id", "shop_domain", "customer": {...}, "orders_requested": [ids],
  "data_request": {"id"}}`: recorded, for an admin to export.
"""

from __future__ import annotations

from compliance.models import PrivacyRequest
from compliance.services.erasure.requests import customer_erase, data_request_record

STORE_ERASURE_QUEUED = "store erasure queued"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def shopify_privacy_request_apply(*, store, topic: str, payload: dict) -> str:
    """Apply one privacy webhook for `store` and return the delivery's outcome. Raises ValueError for a payload
    that names another shop (or none) or nobody (the delivery fails visibly and can be replayed).

    The caller has checked the body's shape for its topic and, for `shop/redact`, that the store is known to have
    uninstalled the app (`recovery.services.inbox`): Shopify does not sign the topic, only the body. For
    `shop/redact` it returns STORE_ERASURE_QUEUED, and the caller queues the store's erasure after commit."""
    if not isinstance(payload, dict):
        raise ValueError("privacy payload must be a JSON object")
    domain = _text(payload.get("shop_domain")).lower()
    if domain != store.shop_domain:  # an absent domain too: every privacy webhook names its shop
        raise ValueError("privacy payload is for another shop than the one that signed it, or names none")
    customer = payload.get("customer") or {}
    identity = {"customer_id": _text(customer.get("id")), "email": _text(customer.get("email")),
                "phone": _text(customer.get("phone"))}
    source, by = PrivacyRequest.Source.SHOPIFY, f"shopify:{topic}"
    if topic == "shop/redact":  # the caller queues the store's erasure (`recovery.tasks.erase_store_task`)
        return STORE_ERASURE_QUEUED
    if not any(identity.values()):
        raise ValueError(f"{topic} payload names no customer (id, email or phone)")
    if topic == "customers/redact":
        orders = tuple(_text(order) for order in payload.get("orders_to_redact") or ())
        request = customer_erase(store=store, source=source, requested_by=by, order_ids=orders, **identity)
        return f"customer erased (privacy request {request.pk})"
    if topic == "customers/data_request":
        reference = _text((payload.get("data_request") or {}).get("id"))
        orders = tuple(_text(order) for order in payload.get("orders_requested") or ())
        request = data_request_record(store=store, source=source, requested_by=by, orders=orders,
                                      reference=reference, **identity)
        return f"data request recorded (privacy request {request.pk}): export it from the admin"
    raise ValueError(f"unknown privacy topic {topic}")
