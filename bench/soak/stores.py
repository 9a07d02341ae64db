"""The soak's stores and the webhooks they send: a few Shopify stores, each with its own webhook secret and a
short abandonment delay, and one stream of signed `checkouts/create` / `checkouts/update` deliveries for all of
them, generated before the load starts.

Each checkout is created, then updated up to three times 1.5-4 s apart (as a shopper edits the cart); every
delivery carries the time it is due to be sent as its `updated_at`, so the abandonment delay runs from when
the store sends it. One delivery in 25 is a redelivery (the same webhook id, event id and body, as Shopify
resends when it saw no 2xx in time) and one in 100 a replay (a new webhook id for an event already sent):
both must be answered "duplicate" and stored once. A fifth of checkouts have a declined payment, 3% give no
phone, 5% come from a customer who left a cart earlier, and 1% of the numbers are on a fresh national
Do-Not-Call list, so the compliance gate turns some carts down. Numbers are valid US numbers in area codes
inside their calling hours for the whole run.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import BENCH_SHOP_DOMAIN, BENCH_WEBHOOK_SECRET, payloads
from bench.work_queue.data import AREA_CODES, unused_number

# (shop domain, secret, share of the traffic); the first is the bench store that `bench.common.database.prepare` makes.
STORES = [
    (BENCH_SHOP_DOMAIN, BENCH_WEBHOOK_SECRET, 0.5),
    ("soak-bikes.myshopify.com", "soak-bikes-webhook-secret-not-for-production", 0.3),
    ("soak-outdoor.myshopify.com", "soak-outdoor-webhook-secret-not-for-production", 0.2),
]
ABANDONMENT_DELAY = timedelta(seconds=20)  # short, so carts become workable during a two-minute run
FRICTION_ABANDONMENT_DELAY = timedelta(seconds=10)
REDELIVERY_EVERY = 25
REPLAY_EVERY = 100
REPEAT_LAG = (50, 400)  # positions back: the original was answered well before it is sent again
UPDATES_PER_CHECKOUT = (0, 3)
UPDATE_GAP = (150, 400)  # positions between updates (1.5-4 s at 100/s): each update a distinct second
PAYMENT_FAILED_SHARE = 0.2
NO_PHONE_SHARE = 0.03
RETURNING_CUSTOMER_SHARE = 0.05
DNC_SHARE = 0.01


@dataclass(frozen=True)
class StoreDelivery(payloads.Delivery):
    """A bench delivery for one of the soak's stores, tagged for gunicorn's access log."""

    shop_domain: str = BENCH_SHOP_DOMAIN
    topic: str = payloads.TOPIC
    kind: str = "first"  # first (of its event), redelivery or replay
    updated_at: str = ""

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Shopify-Topic": self.topic, "X-Shopify-Shop-Domain": self.shop_domain,
                "X-Bench": "webhook"}


def create_stores() -> list[int]:
    """The soak's stores (the bench store exists already), all with the short abandonment delay; their ids."""
    from recovery.models import Platform, Store

    ids = []
    for number, (domain, secret, _) in enumerate(STORES, start=1):
        store, _ = Store.objects.get_or_create(shop_domain=domain, defaults={
            "name": f"Soak store {number}", "platform": Platform.SHOPIFY, "webhook_secret": secret,
            "currency": "USD"})
        Store.objects.filter(pk=store.pk).update(abandonment_delay=ABANDONMENT_DELAY,
                                                 friction_abandonment_delay=FRICTION_ABANDONMENT_DELAY)
        ids.append(store.pk)
    return ids


def callable_areas(now: datetime, minutes: float) -> list[int]:
    """Indexes in AREA_CODES of the area codes inside their calling window now and `minutes` later."""
    from compliance.services import hours

    found = []
    for index, (area, state) in enumerate(AREA_CODES):
        locations = hours.recipient_locations(phone=f"+1{area}2345678", country="US", region=state)
        moments = (now, now + timedelta(minutes=minutes))
        if all(hours.calling_hours_check(locations=locations, at=at).allowed for at in moments):
            found.append(index)
    return found


def local_times(areas: list[int], now: datetime) -> list[str]:
    from compliance.services import hours

    shown = []
    for index in areas:
        area, state = AREA_CODES[index]
        zone = hours.recipient_locations(phone=f"+1{area}2345678", country="US", region=state)[0].timezone
        shown.append(f"{area} {state} {now.astimezone(ZoneInfo(zone)):%H:%M}")
    return shown


@dataclass
class Stream:
    """The deliveries in sending order, and what the checks need to know about them."""

    deliveries: list[StoreDelivery] = field(default_factory=list)
    latest: dict[tuple[str, str], str] = field(default_factory=dict)  # (shop, token) -> last updated_at sent
    dnc_numbers: set[str] = field(default_factory=set)
    customers: list[tuple[str, str, int, str]] = field(default_factory=list)  # (phone, email, id, state) so far

    def count(self, kind: str) -> int:
        return sum(1 for delivery in self.deliveries if delivery.kind == kind)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _new_checkout(rng: random.Random, stream: Stream, shop: str, at: datetime, areas: list[int]) -> dict:
    token = uuid.UUID(int=rng.getrandbits(128)).hex
    payload = payloads.checkout_payload(rng, token, created=at, updated=at)
    payload["abandoned_checkout_url"] = f"https://{shop}/91827364/checkouts/{token}/recover?key={token[-12:]}"
    if stream.customers and rng.random() < RETURNING_CUSTOMER_SHARE:
        phone, email, customer_id, state = rng.choice(stream.customers)
    else:
        area = rng.choice(areas)
        phone, state = unused_number(0, area, len(stream.customers)), AREA_CODES[area][1]
        email, customer_id = payload["email"], 9_100_000_000_000 + len(stream.customers)
        stream.customers.append((phone, email, customer_id, state))
        if rng.random() < DNC_SHARE:
            stream.dnc_numbers.add(phone)
    shown_phone = "" if rng.random() < NO_PHONE_SHARE else phone
    for kind in ("billing_address", "shipping_address"):
        payload[kind].update(phone=shown_phone or None, country_code="US", province_code=state)
    payload.update(phone=None, sms_marketing_phone=shown_phone or None, email=email, customer_locale="en-US")
    payload["customer"].update(id=customer_id, email=email)
    if rng.random() < PAYMENT_FAILED_SHARE:
        payload["note_attributes"] = [{"name": "payment_error", "value": "Card declined (insufficient funds)"}]
    return payload


def _signed(payload: dict, shop: str, secret: str, topic: str, at: datetime, *, event_id: str | None = None,
            kind: str = "first") -> StoreDelivery:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return StoreDelivery(
        webhook_id=str(uuid.uuid4()), event_id=event_id or str(uuid.uuid4()),
        triggered_at=at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", hmac=payloads.sign(body, secret), body=body,
        checkout_token=payload["token"], shop_domain=shop, topic=topic, kind=kind, updated_at=payload["updated_at"],
    )


def _repeat(rng: random.Random, stream: Stream, position: int, *, replay: bool) -> StoreDelivery | None:
    """An earlier first delivery sent again: as it was (redelivery), or under a new webhook id (replay)."""
    back = rng.randint(*REPEAT_LAG)
    if position - back < 0:
        return None
    original = stream.deliveries[position - back]
    if original.kind != "first":
        return None
    if not replay:
        return dataclasses.replace(original, kind="redelivery")
    return dataclasses.replace(original, webhook_id=str(uuid.uuid4()), kind="replay")


def build_stream(count: int, *, rate: float, start: datetime, areas: list[int], seed: int = 20261201) -> Stream:
    """`count` deliveries; the one at position i is due at start + i / rate and says so in its `updated_at`."""
    rng = random.Random(seed)
    stream = Stream()
    secrets = {domain: secret for domain, secret, _ in STORES}
    shops, weights = [domain for domain, _, _ in STORES], [share for _, _, share in STORES]
    # Updates still to send: (due position, tiebreak, shop, the checkout as created); each changes its time.
    updates: list[tuple[int, int, str, dict]] = []
    for position in range(count):
        at = start + timedelta(seconds=position / rate)
        repeat = None
        if position % REDELIVERY_EVERY == REDELIVERY_EVERY - 1:
            repeat = _repeat(rng, stream, position, replay=False)
        elif position % REPLAY_EVERY == REPLAY_EVERY // 2:
            repeat = _repeat(rng, stream, position, replay=True)
        if repeat is not None:
            stream.deliveries.append(repeat)
            continue
        if updates and updates[0][0] <= position:
            _, _, shop, previous = heapq.heappop(updates)
            payload = {**previous, "updated_at": _iso(at), "note": f"edited at {at:%H:%M:%S}"}
            topic = "checkouts/update"
        else:
            shop = rng.choices(shops, weights)[0]
            payload = _new_checkout(rng, stream, shop, at, areas)
            topic = "checkouts/create"
            due = position
            for _ in range(rng.randint(*UPDATES_PER_CHECKOUT)):
                due += rng.randint(*UPDATE_GAP)
                heapq.heappush(updates, (due, rng.getrandbits(32), shop, payload))
        stream.deliveries.append(_signed(payload, shop, secrets[shop], topic, at))
        stream.latest[(shop, payload["token"])] = payload["updated_at"]
    return stream


def create_dnc_list(numbers: set[str], now: datetime) -> int:
    """The national list, fully imported yesterday (so not stale), holding the stream's DNC numbers."""
    from compliance.models import DncList
    from compliance.services import dnc_add_numbers, dnc_list_get_or_create

    national, _ = dnc_list_get_or_create(name="national")
    if numbers:
        dnc_add_numbers(dnc_list=national, phones=sorted(numbers), source="soak bench")
    imported = now - timedelta(days=1)
    DncList.objects.filter(pk=national.pk).update(last_full_import_at=imported, last_import_at=imported)
    return len(numbers)


def now_utc() -> datetime:
    return datetime.now(UTC)
