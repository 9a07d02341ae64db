"""Writes for the recovery app, re-exported for callers: `from recovery.services import cart_upsert`."""

from integrations.data import CartData, CustomerData, LineItemData, OrderData
from integrations.parsing import PayloadError
from integrations.signatures import hmac_sha256_base64, signature_valid
from recovery.services.carts import (
    CartUpsertResult,
    abandonment_delay_for,
    cart_open_if_abandoned,
    cart_record_order,
    cart_upsert,
)
from recovery.services.customers import customer_upsert, phone_to_e164
from recovery.services.inbox import Received, delivery_process, delivery_receive

__all__ = [
    "CartData",
    "CartUpsertResult",
    "CustomerData",
    "LineItemData",
    "OrderData",
    "PayloadError",
    "Received",
    "abandonment_delay_for",
    "cart_open_if_abandoned",
    "cart_record_order",
    "cart_upsert",
    "customer_upsert",
    "delivery_process",
    "delivery_receive",
    "hmac_sha256_base64",
    "phone_to_e164",
    "signature_valid",
]
