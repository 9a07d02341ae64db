"""Platform-neutral shapes of what stores send, built by each platform adapter.

The adapters (Shopify, WooCommerce, REST API) only translate; every write goes
through the same services, so a cart behaves the same whatever its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerData:
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone_raw: str = ""
    country: str = ""
    region: str = ""
    accepts_email_marketing: bool | None = None
    accepts_sms_marketing: bool | None = None
    sms_marketing_phone_raw: str = ""
    consent_source: str = ""
    consent_at: datetime | None = None
    language: str = ""
    orders_count: int | None = None
    lifetime_value: Decimal | None = None


@dataclass(frozen=True)
class LineItemData:
    title: str
    unit_price: Decimal
    quantity: int = 1
    sku: str = ""
    variant: str = ""
    product_id: str = ""
    variant_id: str = ""


@dataclass(frozen=True)
class CartData:
    currency: str
    total_value: Decimal
    checkout_token: str = ""
    external_id: str = ""
    customer: CustomerData = field(default_factory=CustomerData)
    line_items: tuple[LineItemData, ...] = ()
    checkout_url: str = ""
    platform_created_at: datetime | None = None
    platform_updated_at: datetime | None = None
    completed_at: datetime | None = None
    abandoned_at: datetime | None = None
    payment_failed: bool = False
    reached_payment_step: bool = False
    error_text: str = ""
    discount_code_tried: str = ""
    raw_payload: dict | None = None

    @property
    def identity(self) -> str:
        return self.checkout_token or f"id:{self.external_id}"


@dataclass(frozen=True)
class OrderData:
    order_id: str
    total_value: Decimal
    currency: str
    placed_at: datetime
    checkout_token: str = ""
    legacy_checkout_id: str = ""
    email: str = ""
    phone: str = ""  # E.164 when it parsed
    counts_as_sale: bool = True
