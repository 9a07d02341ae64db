"""Shopify's GraphQL `AbandonedCheckout` as the webhooks' `CartData`, through the webhooks' own mapping."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from integrations.data import CartData
from integrations.parsing import PayloadError
from integrations.shopify import payloads as shopify


def checkout_data_from_graphql(node: dict, *, store_currency: str) -> CartData:
    """The `CartData` of one `AbandonedCheckout` node: the webhooks' own mapping, with the node kept as received."""
    data = shopify.checkout_data_from_shopify(rest_checkout_from_graphql(node), store_currency=store_currency)
    return replace(data, raw_payload=node)


def rest_checkout_from_graphql(node: dict) -> dict:
    """Render a GraphQL `AbandonedCheckout` in the webhook payload's field names, which `checkout_data_from_shopify`
    reads, so both paths share one mapping.

    What GraphQL does not expose stays out rather than guessed: shipping lines (so the cart does not count as
    having reached the payment step) and the checkout's marketing consent (so stored consent is left unchanged).
    """
    if not isinstance(node, dict):
        raise PayloadError("abandoned checkout node must be a JSON object")
    customer = node.get("customer") or {}
    amount, currency = _money(node.get("totalPriceSet"))
    url = node.get("abandonedCheckoutUrl") or ""
    return {
        "id": _legacy_id(node.get("id")),
        "token": _token_from_recovery_url(url),
        "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "completed_at": node.get("completedAt"),
        "total_price": amount,
        "presentment_currency": currency,
        "abandoned_checkout_url": url,
        "customer_locale": customer.get("locale"),
        "customer": {
            "id": _legacy_id(customer.get("id")),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
            "phone": (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
            "orders_count": customer.get("numberOfOrders"),
            "total_spent": (customer.get("amountSpent") or {}).get("amount"),
        } if customer else None,
        "shipping_address": _address(node.get("shippingAddress")),
        "billing_address": _address(node.get("billingAddress")),
        "line_items": [_line_item(item) for item in (node.get("lineItems") or {}).get("nodes") or []],
        "note_attributes": [{"name": attribute.get("key"), "value": attribute.get("value")}
                            for attribute in node.get("customAttributes") or []],
        "discount_codes": [{"code": code} for code in node.get("discountCodes") or []],
    }


def _legacy_id(gid: object) -> str:
    """`gid://shopify/AbandonedCheckout/123` -> "123": the numeric id the REST API and older webhooks use."""
    return str(gid).rsplit("/", 1)[-1] if gid else ""


def _token_from_recovery_url(url: str) -> str:
    """The token in a recovery URL of the documented shape `https://{shop}/{id}/checkouts/{token}/recover?key=...`,
    else ""."""
    parts = urlsplit(url).path.strip("/").split("/")
    if len(parts) >= 3 and parts[-1] == "recover" and parts[-3] == "checkouts" and parts[-2].isalnum():
        return parts[-2]
    return ""


def _money(bag: dict | None) -> tuple[str | None, str | None]:
    """(amount, currency) of a MoneyBag, as the customer saw it (presentment), else in the shop's currency."""
    money = (bag or {}).get("presentmentMoney") or (bag or {}).get("shopMoney") or {}
    return money.get("amount"), money.get("currencyCode")


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    return {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "phone": address.get("phone"),
        "country_code": address.get("countryCodeV2"),
        "province_code": address.get("provinceCode"),
    }


def _line_item(item: dict) -> dict:
    return {
        "title": item.get("title"),
        "sku": item.get("sku"),
        "variant_title": item.get("variantTitle"),
        "quantity": item.get("quantity", 1),
        "price": _money(item.get("originalUnitPriceSet"))[0],
        "product_id": _legacy_id((item.get("product") or {}).get("id")),
        "variant_id": _legacy_id((item.get("variant") or {}).get("id")),
    }
