"""Translate Shopify webhook payloads (checkouts, orders) into platform-neutral data.

Since API version 2026-04 the checkout webhooks carry no numeric `id` and orders
no `checkout_id`; a checkout is identified by its `token`. Older payloads still
carry them, so both shapes are accepted.
"""

from __future__ import annotations

from core.phones import phone_to_e164
from integrations.data import CartData, CustomerData, LineItemData, OrderData
from integrations.parsing import PayloadError, parse_datetime, parse_decimal, parse_quantity, text

CHECKOUT_TOPICS = {"checkouts/create", "checkouts/update"}
ORDER_TOPICS = {"orders/create", "orders/updated"}
PRIVACY_TOPICS = {"customers/redact", "customers/data_request", "shop/redact"}
APP_UNINSTALLED = "app/uninstalled"
SHOP_REDACT = "shop/redact"

# What each topic's body must hold, as Shopify documents it: dotted paths to keys that must be present (a
# privacy webhook's customer may have a null id, email or phone: the keys need only be there). Shopify's signature
# covers the body, not the X-Shopify-Topic header, so a body signed for one topic can be presented under another:
# a checkout's body lacks `shop_id` and `orders_to_redact`, a redaction's lacks a `token`. Checked before any
# handler runs; `shop_domain` must also be the signing store's own (`payload_check`).
_PRIVACY_CUSTOMER = ("customer", "customer.id", "customer.email", "customer.phone")
TOPIC_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    **{topic: ("token",) for topic in CHECKOUT_TOPICS},
    **{topic: ("id",) for topic in ORDER_TOPICS},
    APP_UNINSTALLED: ("id",),
    SHOP_REDACT: ("shop_id", "shop_domain"),
    "customers/redact": ("shop_id", "shop_domain", *_PRIVACY_CUSTOMER, "orders_to_redact"),
    "customers/data_request": ("shop_id", "shop_domain", *_PRIVACY_CUSTOMER, "orders_requested"),
}
# Keys that must not only be present but hold a value.
_VALUED = {"token", "id", "shop_id", "shop_domain", "customer"}
KNOWN_TOPICS = frozenset(TOPIC_REQUIRED_KEYS)


def _lookup(payload: dict, path: str) -> tuple[bool, object]:
    value: object = payload
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def payload_check(topic: str, payload: object, *, shop_domain: str) -> None:
    """Refuse a body that does not have `topic`'s documented shape, or that names another shop than the signing
    store (`shop_domain`), with a `PayloadError` saying what is missing: the delivery then fails visibly and
    nothing is applied. Only for the topics of `TOPIC_REQUIRED_KEYS` (the others are not used at all)."""
    if not isinstance(payload, dict):
        raise PayloadError(f"{topic} body refused: it is not a JSON object")
    missing = []
    for path in TOPIC_REQUIRED_KEYS[topic]:
        found, value = _lookup(payload, path)
        if not found or (path in _VALUED and value in (None, "", {}, [])):
            missing.append(path)
    if missing:
        raise PayloadError(f"{topic} body refused: it lacks {', '.join(missing)}, which Shopify's {topic} "
                           f"webhook always carries (a body signed for another topic?)")
    named_shop = text(payload.get("shop_domain")).lower()
    if "shop_domain" in TOPIC_REQUIRED_KEYS[topic] and named_shop != shop_domain.lower():
        raise PayloadError(f"{topic} body refused: its shop_domain is not the signing store's ({shop_domain})")
    if topic == APP_UNINSTALLED:
        named = text(payload.get("myshopify_domain") or payload.get("domain")).lower()
        if named != shop_domain.lower():
            raise PayloadError(f"{topic} body refused: its myshopify_domain is not the signing store's "
                               f"({shop_domain})")


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
