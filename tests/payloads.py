"""Provider payloads shaped like the documented ones, and signed requests.

Shopify: `checkouts/create|update` and `orders/create` bodies (API 2026-04 drops
the checkout's numeric `id` and the order's `checkout_id`; `legacy=True` adds
them back), signed with base64 HMAC-SHA256 in `X-Shopify-Hmac-Sha256`.
WooCommerce: order webhooks signed in `X-WC-Webhook-Signature`.
The custom store's cart API: `cart_body`, sent with the store's `API_TOKEN`.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

from integrations.signatures import hmac_sha256_base64

SHOPIFY_SECRET = "test-shopify-app-secret"
WOO_SECRET = "test-woocommerce-secret"
API_TOKEN = "crs_test_token_for_the_custom_store"


def cart_body(**overrides) -> dict:
    """A cart for the custom store's cart API (`POST /api/v1/carts/`)."""
    body = {
        "external_id": "cart-1001",
        "currency": "usd",
        "total": "849.50",
        "checkout_url": "https://shop.example.com/checkout/recover/cart-1001",
        "updated_at": "2026-11-20T15:00:00Z",
        "customer": {"email": "Pat@Example.com", "phone": "(415) 555-0123", "country": "us", "region": "CA",
                     "first_name": "Pat", "accepts_sms_marketing": False},
        "line_items": [{"title": "4-Season Tent", "sku": "TNT-4S3", "quantity": 1, "unit_price": "749.50"},
                       {"title": "Stove", "quantity": 1, "unit_price": "100.00"}],
        "friction": {"payment_failed": True, "error_text": "Card declined"},
    }
    body.update(overrides)
    return body


def shopify_checkout(token: str = "c1a2b3d4e5f60718293a4b5c6d7e8f90", *, updated_at: str = "2026-11-20T10:15:00-05:00",
                     legacy: bool = False, **overrides) -> dict:
    payload = {
        "token": token,
        "cart_token": "Z2NwLXVzLWVhc3QxOjAxSjk5",
        "email": "jane.doe@example.com",
        "gateway": None,
        "buyer_accepts_marketing": True,
        "buyer_accepts_sms_marketing": True,
        "sms_marketing_phone": "+12125550142",
        "created_at": "2026-11-20T10:02:11-05:00",
        "updated_at": updated_at,
        "landing_site": "/products/trailhead-e-bike",
        "note": "",
        "note_attributes": [],
        "referring_site": "https://www.google.com/",
        "shipping_lines": [{"code": "Standard", "price": "0.00", "title": "Standard"}],
        "taxes_included": False,
        "total_weight": 24000,
        "currency": "USD",
        "presentment_currency": "USD",
        "completed_at": None,
        "closed_at": None,
        "phone": None,
        "customer_locale": "en-US",
        "line_items": [
            {
                "key": "a9f1c3e2",
                "title": "Trailhead E-Bike 500W",
                "variant_title": "Large / Slate",
                "sku": "EB-500-L-SL",
                "quantity": 1,
                "price": "2499.00",
                "product_id": 7513594216618,
                "variant_id": 42367823462570,
                "vendor": "Trailhead",
                "requires_shipping": True,
                "taxable": True,
                "grams": 24000,
            },
            {
                "key": "b7e2d1f4",
                "title": "Carbon Helmet MIPS",
                "variant_title": "M",
                "sku": "HEL-C1-M",
                "quantity": 2,
                "price": "189.50",
                "product_id": 7513594216619,
                "variant_id": 42367823462571,
            },
        ],
        "subtotal_price": "2878.00",
        "total_discounts": "0.00",
        "total_line_items_price": "2878.00",
        "total_price": "3107.93",
        "total_tax": "229.93",
        "discount_codes": [],
        "abandoned_checkout_url": f"https://demo-store.myshopify.com/12345/checkouts/{token}/recover?key=abc",
        "billing_address": {
            "first_name": "Jane", "last_name": "Doe", "address1": "350 5th Ave", "city": "New York",
            "province": "New York", "province_code": "NY", "country": "United States", "country_code": "US",
            "zip": "10118", "phone": "(212) 555-0142",
        },
        "shipping_address": {
            "first_name": "Jane", "last_name": "Doe", "address1": "350 5th Ave", "city": "New York",
            "province": "New York", "province_code": "NY", "country": "United States", "country_code": "US",
            "zip": "10118", "phone": "(212) 555-0142",
        },
        "customer": {
            "id": 6939212513450, "email": "jane.doe@example.com", "first_name": "Jane", "last_name": "Doe",
            "phone": None, "verified_email": True, "state": "enabled", "currency": "USD",
        },
    }
    if legacy:
        payload["id"] = 35237611749546
    payload.update(copy.deepcopy(overrides))
    return payload


def shopify_order(checkout_token: str = "c1a2b3d4e5f60718293a4b5c6d7e8f90", *, legacy_checkout_id: int | None = None,
                  **overrides) -> dict:
    payload = {
        "id": 5678901234567,
        "admin_graphql_api_id": "gid://shopify/Order/5678901234567",
        "name": "#1042",
        "email": "jane.doe@example.com",
        "checkout_token": checkout_token,
        "cart_token": "Z2NwLXVzLWVhc3QxOjAxSjk5",
        "created_at": "2026-11-20T11:40:00-05:00",
        "updated_at": "2026-11-20T11:40:02-05:00",
        "processed_at": "2026-11-20T11:40:00-05:00",
        "cancelled_at": None,
        "financial_status": "paid",
        "currency": "USD",
        "total_price": "3050.00",
        "subtotal_price": "2820.07",
        "total_tax": "229.93",
        "line_items": [{"title": "Trailhead E-Bike 500W", "quantity": 1, "price": "2499.00", "sku": "EB-500-L-SL"}],
    }
    if legacy_checkout_id is not None:
        payload["checkout_id"] = legacy_checkout_id
    payload.update(overrides)
    return payload


def woocommerce_order(*, order_id: int = 727, cart_hash: str = "9d4f4a3c0c6b8e1e2f0a", status: str = "processing",
                      date_modified_gmt: str = "2026-11-20T16:45:00", **overrides) -> dict:
    payload = {
        "id": order_id,
        "parent_id": 0,
        "status": status,
        "currency": "USD",
        "version": "9.4.2",
        "prices_include_tax": False,
        "date_created": "2026-11-20T10:44:58",
        "date_modified": "2026-11-20T10:45:00",
        "date_created_gmt": "2026-11-20T16:44:58",
        "date_modified_gmt": date_modified_gmt,
        "date_paid_gmt": "2026-11-20T16:45:00",
        "discount_total": "0.00",
        "shipping_total": "10.00",
        "total": "1909.00",
        "total_tax": "0.00",
        "customer_id": 26,
        "order_key": "wc_order_58d2d042d1d",
        "billing": {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com",
                    "phone": "(555) 555-5555", "country": "US", "state": "CA"},
        "payment_method": "stripe",
        "cart_hash": cart_hash,
        "line_items": [{"id": 315, "name": "Dual Boiler Espresso Machine", "product_id": 93, "quantity": 1,
                        "subtotal": "1899.00", "total": "1899.00", "sku": "ESP-DB", "price": 1899}],
    }
    payload.update(overrides)
    return payload


def shopify_headers(body: bytes, *, topic: str, shop: str = "demo-store.myshopify.com", secret: str = SHOPIFY_SECRET,
                    webhook_id: str | None = None, event_id: str | None = None) -> dict[str, str]:
    return {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
        "HTTP_X_SHOPIFY_HMAC_SHA256": hmac_sha256_base64(body, secret),
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_EVENT_ID": event_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_API_VERSION": "2026-04",
        "HTTP_X_SHOPIFY_TRIGGERED_AT": "2026-11-20T15:15:00.000Z",
    }


def post_shopify(client, payload: dict | bytes, *, topic: str = "checkouts/update", **kwargs):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    content_type = kwargs.pop("content_type", "application/json")
    headers = shopify_headers(body, topic=topic, **kwargs)
    return client.post("/webhooks/shopify/", data=body, content_type=content_type, **headers)


def woocommerce_headers(body: bytes, *, topic: str = "order.updated", source: str = "https://coffee.example.com/",
                        secret: str = WOO_SECRET) -> dict[str, str]:
    return {
        "HTTP_X_WC_WEBHOOK_SOURCE": source,
        "HTTP_X_WC_WEBHOOK_TOPIC": topic,
        "HTTP_X_WC_WEBHOOK_RESOURCE": topic.split(".")[0],
        "HTTP_X_WC_WEBHOOK_EVENT": topic.split(".")[1],
        "HTTP_X_WC_WEBHOOK_SIGNATURE": hmac_sha256_base64(body, secret),
        "HTTP_X_WC_WEBHOOK_ID": "12",
        "HTTP_X_WC_WEBHOOK_DELIVERY_ID": str(uuid.uuid4().int % 100000),
    }


def post_woocommerce(client, payload: dict, **kwargs):
    body = json.dumps(payload).encode()
    return client.post("/webhooks/woocommerce/", data=body, content_type="application/json",
                       **woocommerce_headers(body, **kwargs))


def shopify_time(moment: datetime) -> str:
    """A time as Shopify's Admin API writes it (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def graphql_checkout(number: int, *, updated_at: datetime, token: str | None = None, total: str = "3107.93",
                     completed_at: datetime | None = None) -> dict:
    """An `AbandonedCheckout` node with the fields the reconciliation asks for (the webhook fixture's checkout)."""
    token = token or f"{number:032x}"
    address = {"firstName": "Jane", "lastName": "Doe", "phone": "(212) 555-0142", "countryCodeV2": "US",
               "provinceCode": "NY"}
    return {
        "id": f"gid://shopify/AbandonedCheckout/{number}",
        "abandonedCheckoutUrl": f"https://demo-store.myshopify.com/12345/checkouts/{token}/recover?key=abc",
        "createdAt": shopify_time(updated_at - timedelta(minutes=13)),
        "updatedAt": shopify_time(updated_at),
        "completedAt": shopify_time(completed_at) if completed_at else None,
        "discountCodes": ["WELCOME10"],
        "customAttributes": [{"key": "payment_error", "value": "Card declined"}],
        "totalPriceSet": {"shopMoney": {"amount": total, "currencyCode": "USD"},
                          "presentmentMoney": {"amount": total, "currencyCode": "USD"}},
        "customer": {
            "id": "gid://shopify/Customer/6939212513450", "firstName": "Jane", "lastName": "Doe", "locale": "en",
            "numberOfOrders": "2", "amountSpent": {"amount": "410.00", "currencyCode": "USD"},
            "defaultEmailAddress": {"emailAddress": "Jane.Doe@example.com"}, "defaultPhoneNumber": None,
        },
        "billingAddress": address,
        "shippingAddress": address,
        "lineItems": {"nodes": [{
            "title": "Trailhead E-Bike 500W", "sku": "EB-500-L-SL", "variantTitle": "Large / Slate", "quantity": 1,
            "originalUnitPriceSet": {"presentmentMoney": {"amount": "2499.00", "currencyCode": "USD"}},
            "product": {"id": "gid://shopify/Product/7513594216618"},
            "variant": {"id": "gid://shopify/ProductVariant/42367823462570"},
        }]},
    }


def http_headers(meta: dict[str, str]) -> dict[str, str]:
    """Django test-client META names (HTTP_X_SHOPIFY_TOPIC) as HTTP header names (X-SHOPIFY-TOPIC)."""
    return {key.removeprefix("HTTP_").replace("_", "-"): value for key, value in meta.items()}
