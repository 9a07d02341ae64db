"""Webhook signature checks, in constant time, on the raw body before any parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_valid(*, body: bytes, signature: str, secret: str) -> bool:
    """True when `signature` is the base64 HMAC-SHA256 of `body` under `secret`.

    Both Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`)
    sign this way. An empty secret or signature never verifies.
    """
    if not secret or not signature:
        return False
    expected = hmac_sha256_base64(body, secret)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
