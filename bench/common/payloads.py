"""Signed Shopify `checkouts/update` deliveries, shaped like API version 2026-04 sends them.

Every delivery has its own webhook and event id and is signed over its exact
body bytes, so the endpoint does all its work for each one. Each checkout is
updated a few times (as a shopper edits it), and a fixed share of deliveries
are redeliveries: the same webhook id, event id and body sent again, as Shopify
does when it did not see a 2xx in time. Those must be answered "duplicate" and
stored once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from bench.common import BENCH_SHOP_DOMAIN, BENCH_WEBHOOK_SECRET

TOPIC = "checkouts/update"
API_VERSION = "2026-04"
UPDATES_PER_CHECKOUT = 3
REDELIVERY_EVERY = 20  # one delivery in 20 (5%) repeats an earlier one
REDELIVERY_LAG = 7  # ... the one this many positions earlier

_PRODUCTS = [
    ("Trailhead E-Bike 500W", "EB-500", "2499.00"), ("Carbon Helmet MIPS", "HEL-C1", "189.50"),
    ("Merino Cycling Jersey", "JER-MR", "89.00"), ("Tubeless Repair Kit", "TRK-01", "24.99"),
    ("Frame Bag 4L", "BAG-F4", "64.00"), ("LED Light Set 800lm", "LGT-800", "119.00"),
    ("Bib Shorts Pro", "BIB-PR", "149.00"), ("Clipless Pedals", "PED-CL", "99.95"),
]
_SIZES = ["S", "M", "L", "XL"]
_COLOURS = ["Slate", "Sand", "Ember", "Moss"]
_PEOPLE = [
    ("Jane", "Doe", "New York", "NY", "US", "+1 212-555-01{:02d}", "350 5th Ave", "10118"),
    ("Luis", "García", "Austin", "TX", "US", "(512) 555-01{:02d}", "1100 Congress Ave", "78701"),
    ("Amélie", "Martin", "Toronto", "ON", "CA", "416-555-01{:02d}", "100 Queen St W", "M5H 2N2"),
    ("Priya", "Shah", "Seattle", "WA", "US", "206.555.01{:02d}", "400 Broad St", "98109"),
]
_OFFSETS = ["-05:00", "-06:00", "-08:00", "-04:00"]


@dataclass(frozen=True)
class Delivery:
    """One HTTP request to send: the body and the headers Shopify would put on it."""

    webhook_id: str
    event_id: str
    triggered_at: str
    hmac: str
    body: bytes
    checkout_token: str

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": TOPIC,
            "X-Shopify-Shop-Domain": BENCH_SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": self.webhook_id,
            "X-Shopify-Event-Id": self.event_id,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Triggered-At": self.triggered_at,
            "X-Shopify-Hmac-Sha256": self.hmac,
        }


def _iso(moment: datetime, offset: str) -> str:
    hours, minutes = int(offset[:3]), int(offset[0] + offset[4:])
    local = moment.astimezone(timezone(timedelta(hours=hours, minutes=minutes)))
    return local.replace(microsecond=0).isoformat()


def _ascii(name: str) -> str:
    """Names keep their accents; the email local part does not (the product validates emails as ASCII)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _line_items(rng: random.Random) -> list[dict]:
    items = []
    for title, sku, price in rng.sample(_PRODUCTS, rng.randint(2, 5)):
        size, colour = rng.choice(_SIZES), rng.choice(_COLOURS)
        product_id = 7513594216000 + _PRODUCTS.index((title, sku, price))
        items.append({
            "key": uuid.UUID(int=rng.getrandbits(128)).hex[:8], "title": title, "variant_title": f"{size} / {colour}",
            "sku": f"{sku}-{size}-{colour[:2].upper()}", "quantity": rng.randint(1, 3), "price": price,
            "product_id": product_id, "variant_id": product_id * 10 + _SIZES.index(size),
            "vendor": "Trailhead", "requires_shipping": True, "taxable": True, "grams": rng.randint(200, 24000),
        })
    return items


def _address(person: tuple, phone: str) -> dict:
    first, last, city, province, country, _, street, postcode = person
    return {
        "first_name": first, "last_name": last, "address1": street, "city": city, "province_code": province,
        "country_code": country, "zip": postcode, "phone": phone, "company": None, "address2": "",
    }


def _totals(items: list[dict], discount: Decimal) -> dict[str, str]:
    subtotal = sum(Decimal(item["price"]) * item["quantity"] for item in items)
    tax = ((subtotal - discount) * Decimal("0.08")).quantize(Decimal("0.01"))
    return {
        "subtotal_price": str(subtotal), "total_line_items_price": str(subtotal), "total_tax": str(tax),
        "total_discounts": str(discount), "total_price": str(subtotal - discount + tax),
    }


def checkout_payload(rng: random.Random, token: str, created: datetime, updated: datetime) -> dict:
    """A `checkouts/update` body: customer, addresses with phones, consent, items, totals."""
    person = rng.choice(_PEOPLE)
    phone = person[5].format(rng.randint(0, 99))
    offset = rng.choice(_OFFSETS)
    items = _line_items(rng)
    discount_codes = [{"code": "SPRING10", "amount": "10.00", "type": "fixed_amount"}] if rng.random() < 0.3 else []
    email = f"{_ascii(person[0]).lower()}.{token[:8]}@example.com"
    return {
        "token": token, "cart_token": uuid.UUID(int=rng.getrandbits(128)).hex, "email": email, "phone": None,
        "gateway": None, "buyer_accepts_marketing": rng.random() < 0.6,
        "buyer_accepts_sms_marketing": rng.random() < 0.4, "sms_marketing_phone": phone,
        "created_at": _iso(created, offset), "updated_at": _iso(updated, offset),
        "completed_at": None, "closed_at": None, "currency": "USD", "presentment_currency": "USD",
        "customer_locale": "en-US", "landing_site": "/products/trailhead-e-bike", "referring_site": "",
        "note": "", "note_attributes": [], "taxes_included": False, "line_items": items,
        "shipping_lines": [{"code": "Standard", "price": "0.00", "title": "Standard"}],
        "discount_codes": discount_codes, **_totals(items, Decimal("10.00") if discount_codes else Decimal("0.00")),
        "abandoned_checkout_url": f"https://{BENCH_SHOP_DOMAIN}/91827364/checkouts/{token}/recover?key={token[-12:]}",
        "billing_address": _address(person, phone), "shipping_address": _address(person, phone),
        "customer": {"id": rng.randint(10**12, 10**13), "email": email, "first_name": person[0],
                     "last_name": person[1], "phone": None, "verified_email": True, "state": "enabled"},
    }


def sign(body: bytes, secret: str = BENCH_WEBHOOK_SECRET) -> str:
    """Shopify's signature, computed here as the sender does (not with the server's own helper)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _signed(payload: dict, token: str, triggered: datetime) -> Delivery:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Delivery(
        webhook_id=str(uuid.uuid4()), event_id=str(uuid.uuid4()),
        triggered_at=triggered.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        hmac=sign(body), body=body, checkout_token=token,
    )


def build_deliveries(count: int, *, seed: int) -> list[Delivery]:
    """`count` requests in sending order; every REDELIVERY_EVERY-th repeats an earlier delivery."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(hours=1)
    deliveries: list[Delivery] = []
    payload: dict = {}
    for position in range(count):
        if position % REDELIVERY_EVERY == REDELIVERY_EVERY - 1:
            deliveries.append(deliveries[position - REDELIVERY_LAG])
            continue
        fresh = len(deliveries) - len(deliveries) // REDELIVERY_EVERY
        moment = start + timedelta(milliseconds=position * 50)
        if fresh % UPDATES_PER_CHECKOUT == 0:
            token = uuid.UUID(int=rng.getrandbits(128)).hex
            payload = checkout_payload(rng, token, created=moment, updated=moment)
        else:
            payload = {**payload, "updated_at": _iso(moment, payload["created_at"][-6:])}
        deliveries.append(_signed(payload, payload["token"], triggered=moment))
    return deliveries


def write_wrk_file(deliveries: list[Delivery], path: Path) -> None:
    """One request per line for bench/common/wrk.lua: tab-separated "Name: value" headers, then the body.

    Compact JSON never holds a raw tab or newline, so the body is safe as the last field.
    """
    with path.open("wb") as out:
        for delivery in deliveries:
            headers = "\t".join(f"{name}: {value}" for name, value in delivery.headers().items())
            out.write(headers.encode() + b"\t" + delivery.body + b"\n")
