"""Translate Shopify webhook payloads (checkouts, orders) into platform-neutral data.

Since API version 2026-04 the checkout webhooks carry no numeric `id` and orders
no `checkout_id`; a checkout is identified by its `token`. Older payloads still
carry them, so both shapes are accepted.
"""

from __future__ import annotations

from recovery.services.customers import phone_to_e164
from recovery.services.data import CartData, CustomerData, LineItemData, OrderData
from recovery.services.parsing import PayloadError, parse_datetime, parse_decimal, parse_quantity, text

CHECKOUT_TOPICS = {"checkouts/create", "checkouts/update"}
ORDER_TOPICS = {"orders/create", "orders/updated"}
PRIVACY_TOPICS = {"customers/redact", "customers/data_request", "shop/redact"}


def _address_phone(payload: dict) -> tuple[str, str, str]:
    """(phone, country code, province code) from the checkout's addresses, shipping first."""
    shipping = payload.get("shipping_address") or {}
    billing = payload.get("billing_address") or {}
    country = text(shipping.get("country_code") or billing.get("country_code"), 2).upper()
    region = text(shipping.get("province_code") or billing.get("province_code"), 10).upper()
    customer = payload.get("customer") or {}
    phone = (
        payload.get("phone")
        or shipping.get("phone")
        or billing.get("phone")
        or customer.get("phone")
        or payload.get("sms_marketing_phone")
        or ""
    )
    return text(phone, 64), country, region


def _customer(payload: dict) -> CustomerData:
    customer = payload.get("customer") or {}
    shipping = payload.get("shipping_address") or {}
    billing = payload.get("billing_address") or {}
    phone, country, region = _address_phone(payload)
    return CustomerData(
        external_id=text(customer.get("id"), 100),
        first_name=text(customer.get("first_name") or shipping.get("first_name") or billing.get("first_name"), 150),
        last_name=text(customer.get("last_name") or shipping.get("last_name") or billing.get("last_name"), 150),
        email=text(payload.get("email") or customer.get("email"), 254).lower(),
        phone_raw=phone,
        country=country,
        region=region,
        accepts_email_marketing=payload.get("buyer_accepts_marketing"),
        accepts_sms_marketing=payload.get("buyer_accepts_sms_marketing"),
        sms_marketing_phone_raw=text(payload.get("sms_marketing_phone"), 64),
        consent_source="shopify_checkout",
        consent_at=parse_datetime(payload.get("updated_at"), field="updated_at"),
        language=text(payload.get("customer_locale"), 35).split("-")[0].lower()[:8],
        orders_count=_optional_count(customer.get("orders_count")),
        lifetime_value=parse_decimal(customer["total_spent"], field="customer.total_spent")
        if customer.get("total_spent") not in (None, "") else None,
    )


def _optional_count(value) -> int | None:
    try:
        return max(0, int(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _line_items(payload: dict) -> tuple[LineItemData, ...]:
    items = []
    for index, item in enumerate(payload.get("line_items") or []):
        items.append(
            LineItemData(
                title=text(item.get("title") or item.get("name") or "Item", 500),
                sku=text(item.get("sku")),
                variant=text(item.get("variant_title"), 500),
                product_id=text(item.get("product_id"), 100),
                variant_id=text(item.get("variant_id"), 100),
                quantity=parse_quantity(item.get("quantity", 1), field=f"line_items[{index}].quantity"),
                unit_price=parse_decimal(item.get("price"), field=f"line_items[{index}].price"),
            )
        )
    return tuple(items)


def _friction_note(payload: dict) -> tuple[bool, str]:
    """A payment failure noted by the storefront in note attributes, if any."""
    for attribute in payload.get("note_attributes") or []:
        name = text(attribute.get("name")).lower()
        if name in {"payment_error", "payment_failed", "checkout_error"}:
            return True, text(attribute.get("value"), 2000)
    return False, ""


def checkout_data_from_shopify(payload: dict, *, store_currency: str) -> CartData:
    if not isinstance(payload, dict):
        raise PayloadError("checkout payload must be a JSON object")
    token = text(payload.get("token"))
    legacy_id = text(payload.get("id"), 100)
    if not token and not legacy_id:
        raise PayloadError("checkout has neither a token nor an id")
    discount_codes = payload.get("discount_codes") or []
    payment_failed, error_text = _friction_note(payload)
    return CartData(
        checkout_token=token,
        external_id=legacy_id,
        customer=_customer(payload),
        currency=text(payload.get("presentment_currency") or payload.get("currency") or store_currency, 3).upper(),
        total_value=parse_decimal(payload.get("total_price"), field="total_price"),
        line_items=_line_items(payload),
        checkout_url=text(payload.get("abandoned_checkout_url"), 2000),
        platform_created_at=parse_datetime(payload.get("created_at"), field="created_at"),
        platform_updated_at=parse_datetime(payload.get("updated_at"), field="updated_at"),
        completed_at=parse_datetime(payload.get("completed_at"), field="completed_at"),
        payment_failed=payment_failed,
        reached_payment_step=bool(payload.get("shipping_lines")) and bool(payload.get("billing_address")),
        error_text=error_text,
        discount_code_tried=text(discount_codes[0].get("code")) if discount_codes else "",
        raw_payload=payload,
    )


def order_data_from_shopify(payload: dict, *, store_currency: str) -> OrderData:
    if not isinstance(payload, dict) or not payload.get("id"):
        raise PayloadError("order payload has no id")
    placed_at = parse_datetime(payload.get("created_at") or payload.get("processed_at"), field="created_at")
    if placed_at is None:
        raise PayloadError("order has no created_at")
    return OrderData(
        order_id=text(payload.get("id"), 100),
        total_value=parse_decimal(payload.get("total_price"), field="total_price"),
        currency=text(payload.get("currency") or store_currency, 3).upper(),
        placed_at=placed_at,
        checkout_token=text(payload.get("checkout_token")),
        legacy_checkout_id=text(payload.get("checkout_id"), 100),
        email=text(payload.get("email") or payload.get("contact_email"), 254).lower(),
        phone=_order_phone(payload),
        counts_as_sale=not payload.get("cancelled_at") and payload.get("financial_status") not in {"voided"},
    )


def _order_phone(payload: dict) -> str:
    billing = payload.get("billing_address") or {}
    customer = payload.get("customer") or {}
    raw = text(payload.get("phone") or billing.get("phone") or customer.get("phone"), 64)
    return phone_to_e164(raw, region=text(billing.get("country_code"), 2)) or ""
