"""The work-queue benchmark's data: stores, customers and carts bulk-loaded with COPY, a DNC list, agents.

The mix is meant to look like a store group a few months into using the product: most carts are closed
(recovered, completed, lost, expired), about 12% are open, of which a bit over half are routed call first;
of those some are held by an agent, some were called already and wait for their next planned call
(`next_call_at` ahead), some are due again, a few have finished their calls. Customers have valid US numbers
across 34 area codes (every one of them a state the calling rules know), a few have no usable number, 15%
speak Spanish. About 1% of customers' numbers are on the national DNC list, so the gate really does turn
some candidates down. Every figure is drawn from a seeded generator: the same `--carts` gives the same data.

All timestamps are relative to the run's fixed instant `at` (a weekday afternoon in the United States, see
`fixed_instant`), which is also the `now` the throughput phases pass to `next_cart`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STORES = 5
CUSTOMERS_PER_CART = 0.75  # a quarter of carts come from a customer who left another one
# (area code, state): every zone of the 50 states but one per line, so calling hours really differ.
AREA_CODES = [
    ("212", "NY"), ("305", "FL"), ("312", "IL"), ("415", "CA"), ("213", "CA"), ("512", "TX"), ("214", "TX"),
    ("602", "AZ"), ("206", "WA"), ("303", "CO"), ("404", "GA"), ("617", "MA"), ("702", "NV"), ("808", "HI"),
    ("907", "AK"), ("205", "AL"), ("860", "CT"), ("504", "LA"), ("615", "TN"), ("801", "UT"), ("503", "OR"),
    ("314", "MO"), ("612", "MN"), ("919", "NC"), ("215", "PA"), ("614", "OH"), ("313", "MI"), ("973", "NJ"),
    ("804", "VA"), ("317", "IN"), ("414", "WI"), ("502", "KY"), ("405", "OK"), ("208", "ID"),
]
_SUBSCRIBERS = 800 * 10_000  # exchanges 200-999 times lines 0000-9999: all valid for these area codes
_STEP = 2_654_435_761  # coprime with _SUBSCRIBERS: index -> subscriber is a bijection, in no useful order
DNC_OTHER_NUMBERS = 4_000
# Closed statuses make up the rest; open 12%, pending 1%.
STATUS_WEIGHTS = [("open", 12), ("pending", 1), ("recovered", 18), ("completed", 30), ("lost", 22),
                  ("expired", 15), ("suppressed", 2)]
CALL_FIRST_SHARE = 0.55
COPY_BATCH = 50_000
LOAD_AGENTS = 50


def phone_number(index: int) -> tuple[str, str]:
    """(E.164 number, state) for customer `index`: distinct for distinct indexes."""
    area, state = AREA_CODES[index % len(AREA_CODES)]
    subscriber = (index // len(AREA_CODES) * _STEP + 7) % _SUBSCRIBERS
    return f"+1{area}{200 + subscriber // 10_000}{subscriber % 10_000:04d}", state


def unused_number(customers: int, area_index: int, number: int) -> str:
    """The `number`-th E.164 number in AREA_CODES[area_index] that no customer and no DNC entry of a run with
    `customers` customers has (those are phone_number(i) for i below customers + DNC_OTHER_NUMBERS)."""
    first_free = -(-(customers + DNC_OTHER_NUMBERS) // len(AREA_CODES)) * len(AREA_CODES)
    return phone_number(first_free + number * len(AREA_CODES) + area_index)[0]


def has_phone(index: int) -> bool:
    """One customer in 25 typed something that is not a number (the product keeps it blank)."""
    return index % 25 != 3


def on_dnc_list(index: int) -> bool:
    """One customer in 100 (with a number) is on the national Do-Not-Call list."""
    return index % 100 == 7


def fixed_instant(now: datetime) -> datetime:
    """The last weekday afternoon (19:00 UTC) at or before `now` on which every area code may be called.

    19:00 UTC is 08:00-14:00 (standard time) or 09:00-15:00 (summer) from Hawaii to New York, inside every
    state's window; days the calling rules close (Sundays, holidays in the states that forbid them) are
    skipped by asking the product's own hours check, so the gate turns nobody down for the time of day.
    """
    from compliance.services import hours

    locations = [location for area, state in AREA_CODES
                 for location in hours.recipient_locations(phone=f"+1{area}2345678", country="US", region=state)]
    candidate = now.astimezone(UTC).replace(hour=19, minute=0, second=0, microsecond=0)
    if candidate > now:
        candidate -= timedelta(days=1)
    for _ in range(14):
        if candidate.weekday() < 5 and hours.calling_hours_check(locations=locations, at=candidate).allowed:
            return candidate
        candidate -= timedelta(days=1)
    raise RuntimeError("no weekday in the last two weeks on which every bench area code may be called at 19:00 UTC")


@dataclass(frozen=True)
class LoadPlan:
    carts: int
    at: datetime
    store_ids: list[int]
    away_agent_id: int  # holds the carts that are reserved when the run starts
    seed: int = 20261123

    @property
    def customers(self) -> int:
        return max(1, int(self.carts * CUSTOMERS_PER_CART))


def _text(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _line(values: tuple) -> str:
    return "\t".join(_text(value) for value in values) + "\n"


CUSTOMER_COLUMNS = (
    "id", "store_id", "external_id", "first_name", "last_name", "email", "phone", "phone_raw", "phone_invalid",
    "phone_digest", "country", "region", "language", "email_consent_source", "sms_marketing_phone",
    "sms_consent_source", "orders_count", "lifetime_value", "created_at", "updated_at",
)


def customer_rows(plan: LoadPlan, first_id: int) -> Iterator[str]:
    """Customers as ingestion saves them, their number's suppression digest included (Django is set up)."""
    from compliance.models.privacy import suppression_digest

    rng = random.Random(plan.seed)
    for index in range(plan.customers):
        phone, state = phone_number(index)
        raw = phone
        if not has_phone(index):
            phone, raw = "", "call me"
        roll = rng.random()
        language = "es" if roll < 0.15 else "" if roll < 0.20 else "en"
        created = plan.at - timedelta(seconds=rng.randrange(90 * 86400))
        orders = rng.choice((0, 0, 0, 1, 2, 5))
        digest = suppression_digest(phone=phone) if phone else ""
        yield _line((
            first_id + index, plan.store_ids[index % len(plan.store_ids)], f"c{index}", "Pat", f"Shopper{index}",
            f"shopper{index}@example.com", phone, raw, not phone, digest, "US", state, language, "", "", "",
            orders, f"{orders * rng.uniform(40, 400):.2f}", created, created,
        ))


CART_COLUMNS = (
    "id", "store_id", "external_id", "checkout_token", "customer_id", "status", "status_reason", "total_value",
    "currency", "checkout_url", "platform_created_at", "platform_updated_at", "abandoned_at", "completed_at",
    "payment_failed", "reached_payment_step", "error_text", "discount_code_tried", "recovered_at",
    "recovered_value", "recovered_order_id", "route", "priority_score", "priority_reason", "scored_at",
    "workable_since", "first_attempt_at", "reserved_by_id", "reserved_until", "call_attempts", "next_call_at",
    "calls_ended_at", "next_message_step", "next_message_at", "raw_payload", "created_at", "updated_at",
)
_STATUSES = [status for status, _ in STATUS_WEIGHTS]
_WEIGHTS = [weight for _, weight in STATUS_WEIGHTS]


def _cadence(rng: random.Random, at: datetime, abandoned: datetime) -> dict:
    """Where an open call-first cart is in its calls: fresh, waiting, due again, finished, or held."""
    roll = rng.random()
    state: dict = {"attempts": 0, "first": None, "next": None, "ended": None, "held_until": None}
    if roll < 0.20:  # called, next call planned later
        state.update(attempts=rng.randint(1, 3), first=abandoned + timedelta(minutes=5),
                     next=at + timedelta(minutes=rng.randint(10, 48 * 60)))
    elif roll < 0.35:  # called, next call due now
        state.update(attempts=rng.randint(1, 3), first=abandoned + timedelta(minutes=5),
                     next=at - timedelta(minutes=rng.randint(1, 600)))
    elif roll < 0.38:  # every planned call made
        state.update(attempts=5, first=abandoned + timedelta(minutes=5), ended=at - timedelta(hours=2))
    elif roll < 0.40:  # an agent holds it now
        state.update(held_until=at + timedelta(minutes=rng.randint(1, 9)))
    return state


def cart_rows(plan: LoadPlan, first_id: int, first_customer_id: int) -> Iterator[str]:
    rng = random.Random(plan.seed + 1)
    for index in range(plan.carts):
        customer_index = index if index < plan.customers else rng.randrange(plan.customers)
        status = rng.choices(_STATUSES, _WEIGHTS)[0]
        yield _cart_line(rng, plan, first_id + index, first_customer_id + customer_index, customer_index, status)


def _cart_line(rng: random.Random, plan: LoadPlan, cart_id: int, customer_id: int, customer_index: int,
               status: str) -> str:
    at = plan.at
    is_open = status == "open"
    age = timedelta(seconds=rng.randrange(600, 72 * 3600) if is_open else rng.randrange(80 * 86400))
    updated = at - age
    created = updated - timedelta(minutes=rng.randint(1, 60))
    failed = rng.random() < 0.08
    value = rng.lognormvariate(4.8, 0.9)
    route = ""
    if status not in ("pending", "completed"):
        call_first = has_phone(customer_index) and (failed or value >= 250 or rng.random() < CALL_FIRST_SHARE - 0.2)
        route = "call_first" if call_first else "automated_first"
    score = round(rng.uniform(5, 95) if route == "call_first" else rng.uniform(0, 40), 2)
    cadence = _cadence(rng, at, updated) if is_open and route == "call_first" else {
        "attempts": 0, "first": None, "next": None, "ended": None, "held_until": None}
    held = cadence["held_until"] is not None
    closed_at = updated + timedelta(hours=rng.randint(1, 72)) if status in ("recovered", "completed") else None
    messages_due = is_open and route == "automated_first"
    return _line((
        cart_id, plan.store_ids[customer_index % len(plan.store_ids)], "", f"{cart_id:032x}", customer_id,
        status, "", f"{value:.2f}", "USD", "", created, updated,
        updated if status not in ("pending", "completed") else None, closed_at, failed, failed or rng.random() < 0.5,
        "Card declined" if failed else "", "", closed_at if status == "recovered" else None,
        f"{value:.2f}" if status == "recovered" else None, f"#{cart_id}" if status == "recovered" else "",
        route, score, "bench", at if route else None, updated if route else None, cadence["first"],
        plan.away_agent_id if held else None, cadence["held_until"], cadence["attempts"], cadence["next"],
        cadence["ended"], 1 if messages_due else 0, at + timedelta(hours=1) if messages_due else None, "{}",
        created, updated,
    ))
