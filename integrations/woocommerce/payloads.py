"""Translate WooCommerce order webhooks into platform-neutral data.

WooCommerce core keeps no abandoned carts: its carts come through the REST API;
its order webhooks tell us which of them were bought. Times ending in `_gmt` are
naive UTC.
"""

from __future__ import annotations

from core.phones import phone_to_e164
from integrations.data import OrderData
from integrations.parsing import PayloadError, parse_datetime, parse_decimal, text

ORDER_TOPICS = {"order.created", "order.updated"}
# Statuses of an order the customer has paid for, or committed to pay.
SALE_STATUSES = {"processing", "completed", "on-hold"}


def order_dedup_key(payload: dict) -> str:
    """WooCommerce's delivery id is not stable across resends: key on the order's own version."""
    return f"order:{text(payload.get('id'))}:{text(payload.get('date_modified_gmt') or payload.get('date_modified'))}"


def order_data_from_woocommerce(payload: dict, *, store_currency: str) -> OrderData:
    if not isinstance(payload, dict) or not payload.get("id"):
        raise PayloadError("order payload has no id")
    placed_at = parse_datetime(
        payload.get("date_paid_gmt") or payload.get("date_created_gmt"), field="date_created_gmt"
    )
    if placed_at is None:
        raise PayloadError("order has no date_created_gmt")
    billing = payload.get("billing") or {}
    return OrderData(
        order_id=text(payload.get("id"), 100),
        total_value=parse_decimal(payload.get("total"), field="total"),
        currency=text(payload.get("currency") or store_currency, 3).upper(),
        placed_at=placed_at,
        checkout_token=text(payload.get("cart_hash")),
        email=text(billing.get("email"), 254).lower(),
        phone=phone_to_e164(text(billing.get("phone"), 64), region=text(billing.get("country"), 2)) or "",
        counts_as_sale=payload.get("status") in SALE_STATUSES,
    )
