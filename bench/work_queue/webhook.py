"""Webhook to agent: from a signed Shopify checkout reaching gunicorn to that cart on a waiting agent's screen.

The whole product path runs: gunicorn (2 sync workers, `bench.common.settings`) verifies and stores the delivery
and notifies; `manage.py dispatch_inbox` turns the notification into a Celery task; a Celery worker
(2 processes) parses the checkout, creates the customer and cart, opens it at once (its last activity is
older than the store's abandonment delay: a late delivery, as after a backlog) and routes it call first
(a declined payment); the waiting agent, who works only the probe store, polls `next_cart` every 50 ms.
Checkouts are sent one at a time, a few hundred milliseconds apart, on the real clock, with numbers in a
state where it is calling time now (chosen when the phase starts), so the gate lets them through as it
would in production.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import payloads
from bench.common.loadgen import percentile
from bench.work_queue.data import AREA_CODES, unused_number
from bench.work_queue.load import CONSUME_SQL
from bench.work_queue.setup import Agent

ENDPOINT_PATH = "/webhooks/shopify/"
POLL_INTERVAL_S = 0.05
QUIET_FOR = timedelta(minutes=10)  # the checkout's last activity: longer ago than the probe store's delay
WAIT_FOR_AGENT_S = 15.0
GAP_S = (0.1, 0.4)  # between one cart reaching the agent and the next checkout being sent
WARMUP_PROBES = 8  # loads the geocoder in both worker processes, opens every connection
PHASE_MINUTES = 10  # the probe region must stay inside calling hours this long


@dataclass(frozen=True)
class ProbeRegion:
    area_index: int  # in AREA_CODES
    area_code: str
    state: str
    local_time: str
    fixed_at: datetime | None  # None: the real clock; else the instant next_cart is asked for (fallback)


def probe_region(now: datetime, fallback_at: datetime) -> ProbeRegion:
    """A state whose calling window is open now and for the next PHASE_MINUTES, preferring local times of
    10:00-18:00 on a weekday; when no bench area code is (night in the whole US), the run's fixed instant
    is used for the probe agent instead, and the report says so."""
    from compliance.services import hours

    found: list[tuple[int, ProbeRegion]] = []
    for area_index, (area, state) in enumerate(AREA_CODES):
        locations = hours.recipient_locations(phone=f"+1{area}2345678", country="US", region=state)
        later = now + timedelta(minutes=PHASE_MINUTES)
        if not all(hours.calling_hours_check(locations=locations, at=at).allowed for at in (now, later)):
            continue
        local = now.astimezone(ZoneInfo(locations[0].timezone))
        preferred = 10 <= local.hour < 18 and local.weekday() < 5
        found.append((0 if preferred else 1, ProbeRegion(area_index, area, state, f"{local:%a %H:%M}", None)))
    if found:
        return min(found, key=lambda item: item[0])[1]
    area, state = AREA_CODES[0]
    return ProbeRegion(0, area, state, "outside calling hours everywhere", fallback_at)


@dataclass(frozen=True)
class Probe:
    token: str
    body: bytes
    headers: dict[str, str]


def build_probe(rng: random.Random, number: int, region: ProbeRegion, now: datetime, customers: int) -> Probe:
    """A signed `checkouts/create`: the bench's Shopify payload, with a valid number in the probe state that
    no loaded customer or DNC entry has, a declined payment, and a last update QUIET_FOR ago."""
    token = uuid.UUID(int=rng.getrandbits(128)).hex
    quiet_since = now - QUIET_FOR
    payload = payloads.checkout_payload(rng, token, created=quiet_since - timedelta(minutes=3), updated=quiet_since)
    phone = unused_number(customers, region.area_index, number)
    for kind in ("billing_address", "shipping_address"):
        payload[kind].update(phone=phone, country_code="US", province_code=region.state)
    payload.update(phone=phone, sms_marketing_phone=phone, customer_locale="en-US",
                   note_attributes=[{"name": "payment_error", "value": "Card declined (insufficient funds)"}])
    payload["customer"]["id"] = 9_000_000_000_000 + number
    body = json.dumps(payload, separators=(",", ":")).encode()
    delivery = payloads.Delivery(
        webhook_id=str(uuid.uuid4()), event_id=str(uuid.uuid4()),
        triggered_at=now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", hmac=payloads.sign(body), body=body,
        checkout_token=token,
    )
    return Probe(token=token, body=body, headers={**delivery.headers(), "X-Shopify-Topic": "checkouts/create"})


@dataclass
class WaitingAgent:
    """The agent at the desk: asks for work every 50 ms, notes when each cart reached it, makes the call."""

    agent: Agent
    fixed_at: datetime | None
    handed: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection

        try:
            user = get_user_model().objects.get(pk=self.agent.user_id)
            while not self.stop.is_set():
                self._ask(user)
                time.sleep(POLL_INTERVAL_S)
        finally:
            connection.close()

    def _ask(self, user) -> None:
        from django.db import connection
        from django.utils import timezone

        from agents.services import next_cart

        try:
            cart = next_cart(user, now=self.fixed_at)
        except Exception as exc:  # noted and shown; the agent keeps asking
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        if cart is None:
            return
        with self.arrived:
            self.handed[cart.checkout_token] = time.perf_counter()
            self.arrived.notify_all()
        with connection.cursor() as cursor:
            cursor.execute(CONSUME_SQL, {"at": self.fixed_at or timezone.now(), "cart": cart.pk})

    def wait_for(self, token: str, timeout: float) -> float | None:
        with self.arrived:
            self.arrived.wait_for(lambda: token in self.handed, timeout=timeout)
            return self.handed.get(token)


def _send(conn: http.client.HTTPConnection, probe: Probe) -> tuple[int, str]:
    conn.request("POST", ENDPOINT_PATH, body=probe.body, headers=probe.headers)
    response = conn.getresponse()
    return response.status, response.read().decode(errors="replace")[:200]


def run(port: int, agent: Agent, region: ProbeRegion, *, probes: int, customers: int) -> dict:
    """Send WARMUP_PROBES then `probes` checkouts one at a time; time each from send to hand-over."""
    rng = random.Random(7)
    waiting = WaitingAgent(agent=agent, fixed_at=region.fixed_at)
    thread = threading.Thread(target=waiting.run, daemon=True)
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies, missed, bad_answers = [], [], []
    started = time.monotonic()
    try:
        for number in range(WARMUP_PROBES + probes):
            probe = build_probe(rng, number, region, datetime.now(UTC), customers)
            sent = time.perf_counter()
            status, answer = _send(conn, probe)
            if status != 200:
                bad_answers.append(f"{status} {answer}")
            handed = waiting.wait_for(probe.token, WAIT_FOR_AGENT_S)
            if number == WARMUP_PROBES:
                started = time.monotonic()
            if number >= WARMUP_PROBES:
                if handed is None:
                    missed.append(probe.token)
                else:
                    latencies.append((handed - sent) * 1000)
            time.sleep(rng.uniform(*GAP_S))
    finally:
        waiting.stop.set()
        thread.join()
        conn.close()
    return _summary(latencies, missed, bad_answers, waiting.errors, time.monotonic() - started, region, probes)


def _summary(latencies: list[float], missed: list[str], bad_answers: list[str], errors: list[str], seconds: float,
             region: ProbeRegion, probes: int) -> dict:
    ordered = sorted(latencies)
    return {
        "probes": probes, "handed": len(ordered), "missed": len(missed), "seconds": round(seconds, 1),
        "p50_ms": percentile(ordered, 50), "p95_ms": percentile(ordered, 95), "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1] if ordered else 0.0, "under_1s": sum(1 for ms in ordered if ms < 1000),
        "within_5min": sum(1 for ms in ordered if ms < 300_000), "bad_answers": bad_answers[:5],
        "agent_errors": errors[:5], "region": {"area_code": region.area_code, "state": region.state,
                                                 "local_time": region.local_time,
                                                 "fixed_at": region.fixed_at.isoformat() if region.fixed_at else None},
    }
