"""The dashboards benchmark's data: 120 days of an operation, generated cart by cart and bulk-loaded with COPY.

Each abandoned cart is drawn once (seeded, so the same arguments give the same data) and everything that hangs off
it is drawn with it, so the rows agree with one another as the product would have written them:

- the cart: abandoned at a uniform moment of the last 120 days, routed call first (a phone and a failed payment, a
  high value, or by chance: about 45%) or automated first, 5% put in the control group (never contacted, recovered
  about half as often), recovered (with `recovered_at`, value, sometimes an upsell), still open when recent, else
  lost, expired or suppressed; 10% of all carts never were abandoned (completed in checkout, or pending);
- its contact attempts (a geometric number per contacted cart, averaging --attempts over the contacted carts), each
  with the gate's decision: call-first carts are called first (the delay a lognormal of median 3 minutes), then
  called again, texted or emailed every 2-30 hours; calls fall in the calling hours (13:00-05:00 UTC) and go to
  an agent on shift; nothing is attempted after the cart was recovered or after now;
- a Call for every voice attempt, walked through the script as far as the answer allowed (`step_times`), with
  frictions and offers on reached calls, and the agent's status changes around it (on a call, wrap-up, available)
  on top of the shifts (available at the start, away at the end), as `agent_status_set` records them;
- the credit of a recovered cart: the last attempt before the order within 7 days (contacted: its channel and, for
  calls, its agent), else self-recovered; control-group carts are credited to the control.

Rows are written to temporary files in one pass (a cart's attempts and calls are drawn with it), then each file is
COPYed in dependency order; foreign-key triggers are skipped during the load when the role may do so (the rows
are made consistent here), then VACUUM ANALYZE, as autovacuum would long since have done.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bench.work_queue import data as queue_data
from bench.work_queue import setup as queue_setup

DAYS = 120
STORES = 5
AGENTS = 50
NEVER_ABANDONED_SHARE = 0.10  # completed in checkout (9.5%) or still pending (0.5%): no abandoned_at
CONTROL_SHARE = 0.05
RECOVERY_RATE = {"call_first": 0.24, "automated_first": 0.15, "control": 0.09}
OPEN_WITHIN = timedelta(hours=72)  # a cart abandoned more recently may still be open
ATTRIBUTION_WINDOW = timedelta(days=7)
SHIFT_HOURS = 8
SHIFT_STARTS_UTC = (13, 17, 21)  # agent n starts at SHIFT_STARTS_UTC[n % 3], five days a week
CALLING_HOURS_UTC = (13, 29)  # 13:00 to 05:00 the next day: 08:00-21:00 from New York to Los Angeles
VOICE_OUTCOMES = [("no_answer", 35), ("voicemail", 18), ("busy", 5), ("link_sent", 12), ("callback", 12),
                  ("not_interested", 14), ("do_not_call", 1)]
SPOKEN = {"recovered", "link_sent", "callback", "not_interested", "do_not_call"}
OFFERS = ["Free shipping", "10% off this order", "Payment link by text", "Split into three payments",
          "Free returns for 60 days", "Price match"]
SCORES = {"call_first": (5, 95), "automated_first": (0, 40)}
COPY_CHUNK = 1 << 20
TABLES = ("recovery_customer", "recovery_cart", "compliance_contactdecision", "compliance_contactattempt",
          "agents_call", "agents_call_frictions", "agents_agentstatuschange")

CART_COLUMNS = (
    "id", "store_id", "external_id", "checkout_token", "customer_id", "status", "status_reason", "total_value",
    "currency", "checkout_url", "platform_created_at", "platform_updated_at", "abandoned_at", "completed_at",
    "payment_failed", "reached_payment_step", "error_text", "discount_code_tried", "recovered_at", "recovered_value",
    "recovered_order_id", "attribution", "recovered_attempt_id", "recovered_by_id", "recovered_channel",
    "upsell_value", "in_control_group", "route", "priority_score", "priority_reason", "scored_at", "workable_since",
    "first_attempt_at", "call_attempts", "next_call_at", "calls_ended_at", "next_message_step", "next_message_at",
    "raw_payload", "created_at", "updated_at",
)
DECISION_COLUMNS = ("id", "at", "requested_by_id", "requester", "store_id", "phone", "email", "channel", "allowed",
                    "reasons", "explanations", "basis", "notes", "list_versions", "recipient_timezones")
ATTEMPT_COLUMNS = ("id", "decision_id", "store_id", "cart_id", "channel", "phone", "email", "agent_id", "at",
                   "duration_seconds", "outcome", "provider_id", "provider_status", "provider_error")
CALL_COLUMNS = ("id", "cart_id", "agent_id", "attempt_id", "opened_at", "step", "step_times", "answer",
                "friction_notes", "offered", "offer_notes", "resolved", "value_points_used", "link_sent_by",
                "payment_reference", "disposition", "notes", "wrapped_up_at", "provider_sid", "line_status",
                "answered_at", "ended_at", "duration_seconds", "answered_by")
FRICTION_COLUMNS = ("call_id", "frictionreason_id")
STATUS_COLUMNS = ("agent_id", "status", "at")


@dataclass(frozen=True)
class Plan:
    carts: int
    attempts: int
    now: datetime
    store_ids: list[int]
    agent_ids: list[int]
    friction_ids: list[int]
    seed: int = 20261201

    @property
    def customers(self) -> int:
        return max(1, int(self.carts * queue_data.CUSTOMERS_PER_CART))

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=DAYS)

    @property
    def attempts_per_contacted_cart(self) -> float:
        contacted = self.carts * (1 - NEVER_ABANDONED_SHARE) * (1 - CONTROL_SHARE)
        return max(1.0, self.attempts / max(1.0, contacted))


def _ts(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _opt(seconds: float | None) -> str:
    return r"\N" if seconds is None else _ts(seconds)


class Roster:
    """Who is on shift when: agents in three staggered 8-hour shifts, five days a week each."""

    def __init__(self, plan: Plan) -> None:
        self.agent_ids = plan.agent_ids
        first_day = (plan.start - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.origin = first_day.timestamp()
        self.days = DAYS + 3
        self.on_shift: list[list[int]] = [[] for _ in range(self.days * 24 + 24)]
        self.shifts: list[tuple[int, float, float]] = []  # (agent id, start, end)
        for number, agent_id in enumerate(self.agent_ids):
            for day in range(self.days):
                if (day + number) % 7 >= 5:
                    continue
                start = self.origin + day * 86400 + SHIFT_STARTS_UTC[number % 3] * 3600
                self.shifts.append((agent_id, start, start + SHIFT_HOURS * 3600))
                first_hour = int((start - self.origin) // 3600)
                for hour in range(first_hour, first_hour + SHIFT_HOURS):
                    self.on_shift[hour].append(agent_id)

    def agent_at(self, at: float, rng: random.Random) -> int | None:
        hour = int((at - self.origin) // 3600)
        agents = self.on_shift[hour] if 0 <= hour < len(self.on_shift) else []
        return rng.choice(agents) if agents else None


def in_calling_hours(at: float, rng: random.Random) -> float:
    """`at`, or the next opening of the calling hours (a few minutes past 13:00 UTC) when it falls outside them."""
    hour = (at % 86400) / 3600
    if CALLING_HOURS_UTC[1] - 24 <= hour < CALLING_HOURS_UTC[0]:
        return at - (at % 86400) + CALLING_HOURS_UTC[0] * 3600 + rng.uniform(0, 1800)
    return at


@dataclass
class Ids:
    """The next id of each table (taken from its sequence before the load, set after it)."""

    cart: int
    customer: int
    decision: int
    attempt: int
    call: int


class Writer:
    """One temporary file per table, in COPY's text format."""

    def __init__(self, folder: Path) -> None:
        self.paths = {table: folder / f"{table}.tsv" for table in TABLES}
        self.files = {table: path.open("w", buffering=COPY_CHUNK) for table, path in self.paths.items()}
        self.rows = dict.fromkeys(TABLES, 0)

    def write(self, table: str, line: str) -> None:
        self.files[table].write(line)
        self.rows[table] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _geometric(rng: random.Random, mean: float) -> int:
    """1, 2, 3, ... with the given mean (at most 40)."""
    if mean <= 1.0:
        return 1
    p = 1.0 / mean
    return min(40, 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - p)))


class CartGenerator:
    def __init__(self, plan: Plan, writer: Writer, ids: Ids) -> None:
        self.plan, self.out, self.ids = plan, writer, ids
        self.rng = random.Random(plan.seed)
        self.roster = Roster(plan)
        self.now = plan.now.timestamp()
        self.start = plan.start.timestamp()
        self.mean_attempts = plan.attempts_per_contacted_cart
        # Attempts stop at the order and at now, so fewer are made than drawn: draws are scaled by the share
        # of drawn attempts made so far, so the total comes out close to --attempts.
        self.drawn = self.made = 0
        self.outcomes = [name for name, _ in VOICE_OUTCOMES]
        self.weights = [weight for _, weight in VOICE_OUTCOMES]

    def run(self) -> None:
        for agent_id, start, end in self.roster.shifts:
            if start < self.now:
                self.out.write("agents_agentstatuschange", f"{agent_id}\tavailable\t{_ts(start)}\n")
            if end < self.now:
                self.out.write("agents_agentstatuschange", f"{agent_id}\taway\t{_ts(end)}\n")
        for index in range(self.plan.carts):
            customer = index if index < self.plan.customers else self.rng.randrange(self.plan.customers)
            self.cart(customer)

    def cart(self, customer: int) -> None:
        rng, plan = self.rng, self.plan
        cart_id = self.ids.cart
        self.ids.cart += 1
        phone, _state = queue_data.phone_number(customer)
        has_phone = queue_data.has_phone(customer)
        store_id = plan.store_ids[customer % len(plan.store_ids)]
        value = rng.lognormvariate(4.8, 0.9)
        failed = rng.random() < 0.08
        abandoned = self.start + rng.random() * (self.now - self.start)
        if rng.random() < NEVER_ABANDONED_SHARE:
            self._never_abandoned(cart_id, customer, store_id, value, abandoned)
            return
        call_first = has_phone and (failed or value >= 250 or rng.random() < 0.35)
        route = "call_first" if call_first else "automated_first"
        control = rng.random() < CONTROL_SHARE
        workable = abandoned + rng.uniform(0, 120)
        recovered_at = None
        if rng.random() < RECOVERY_RATE["control" if control else route]:
            recovered_at = workable + rng.expovariate(1 / (20 * 3600))
            if recovered_at >= self.now:
                recovered_at = None
        attempts = [] if control else self._attempts(cart_id, customer, store_id, phone if has_phone else "",
                                                     route, workable, recovered_at)
        self._cart_row(cart_id, customer, store_id, value, failed, route, control, abandoned, workable,
                       recovered_at, attempts)

    def _attempts(self, cart_id: int, customer: int, store_id: int, phone: str, route: str, workable: float,
                  recovered_at: float | None) -> list[tuple]:
        """Draw and write the cart's attempts (with decisions and calls); returns [(id, channel, at, agent)]."""
        rng = self.rng
        stop = min(recovered_at or self.now, self.now)
        made_share = self.made / self.drawn if self.made > 1000 else 0.85
        count = _geometric(rng, self.mean_attempts / max(0.3, made_share))
        self.drawn += count
        made: list[tuple] = []
        if route == "call_first":
            at = workable + min(6 * 3600, math.exp(rng.gauss(math.log(180), 1.1)))
        else:
            at = workable + 3600 + rng.uniform(0, 300)
        for number in range(count):
            if route == "call_first":
                channel = "voice" if number == 0 or rng.random() < 0.2 else rng.choice(("sms", "email"))
            else:
                channel = "voice" if phone and rng.random() < 0.05 else rng.choice(("sms", "email"))
            if not phone and channel != "email":
                channel = "email"
            if channel == "voice":
                at = in_calling_hours(at, rng)
            if at >= stop:
                break
            made.append(self._attempt(cart_id, customer, store_id, phone, channel, at))
            at += rng.uniform(2 * 3600, 30 * 3600)
        self.made += len(made)
        return made

    def _attempt(self, cart_id: int, customer: int, store_id: int, phone: str, channel: str, at: float) -> tuple:
        rng = self.rng
        decision_id, attempt_id = self.ids.decision, self.ids.attempt
        self.ids.decision += 1
        self.ids.attempt += 1
        when = _ts(at)
        agent = self.roster.agent_at(at, rng) if channel == "voice" else None
        email = f"shopper{customer}@example.com" if channel == "email" else ""
        number = phone if channel != "email" else ""
        requester = f"agent:{agent}" if agent else "task:send_recovery_message"
        self.out.write("compliance_contactdecision", (
            f"{decision_id}\t{when}\t{agent or chr(92) + 'N'}\t{requester}\t{store_id}\t{number}\t{email}\t{channel}"
            f"\tt\t[]\t[]\tinquiry\t[]\t{{\"national\": 1}}\t[\"America/New_York\"]\n"))
        duration: int | None = None
        if channel == "voice":
            outcome = rng.choices(self.outcomes, self.weights)[0]
            duration = rng.randint(90, 480) if outcome in SPOKEN else rng.randint(10, 45)
            status = "completed"
        elif rng.random() < 0.01:
            outcome, status = "not_sent", ""
        elif channel == "sms":
            outcome = "sent"
            status = rng.choices(("delivered", "undelivered", "failed", "read"), (78, 12, 8, 2))[0]
        else:
            outcome, status = "sent", ""
        self.out.write("compliance_contactattempt", (
            f"{attempt_id}\t{decision_id}\t{store_id}\t{cart_id}\t{channel}\t{number}\t{email}"
            f"\t{agent or chr(92) + 'N'}\t{when}\t{duration if duration is not None else chr(92) + 'N'}\t{outcome}"
            f"\t{channel[:2].upper()}{attempt_id:032d}\t{status}\t\n"))
        if channel == "voice" and agent:
            self._call(cart_id, agent, attempt_id, at, outcome, duration or 0)
        return (attempt_id, channel, at, agent, outcome)

    def _call(self, cart_id: int, agent: int, attempt_id: int, at: float, outcome: str, duration: int) -> None:
        rng = self.rng
        call_id = self.ids.call
        self.ids.call += 1
        opened, reached = at - rng.uniform(5, 40), outcome in SPOKEN
        complete = rng.random() < 0.75  # reached calls that went through every step of the script
        steps = (range(1, 8) if complete else (1, 2, 3, 6, 7)) if reached else (1, 6, 7)
        step_times = ", ".join(f'"{step}": "{_ts(opened + step * duration / 6)}"' for step in steps)
        answer = "reached" if reached else outcome
        offered = rng.sample(OFFERS, rng.randint(1, 2)) if reached else []
        resolved = rng.choices(("yes", "partly", "no"), (45, 20, 35))[0] if reached else ""
        wrapped = at + duration + rng.uniform(20, 120)
        offered_json = "[" + ", ".join(f'"{offer}"' for offer in offered) + "]"
        self.out.write("agents_call", (
            f"{call_id}\t{cart_id}\t{agent}\t{attempt_id}\t{_ts(opened)}\t7\t{{{step_times}}}\t{answer}\t\t"
            f"{offered_json}\t\t{resolved}\t[]\t\t\t{outcome}\t\t{_ts(wrapped)}\t\tcompleted"
            f"\t{_ts(at) if reached else chr(92) + 'N'}\t{_ts(at + duration)}\t{duration}"
            f"\t{'human' if reached else ''}\n"))
        if reached:
            for friction in rng.sample(self.plan.friction_ids, rng.randint(1, 2)):
                self.out.write("agents_call_frictions", f"{call_id}\t{friction}\n")
        for status, when in (("on_call", opened), ("wrap_up", at + duration), ("available", wrapped)):
            if when < self.now:
                self.out.write("agents_agentstatuschange", f"{agent}\t{status}\t{_ts(when)}\n")

    def _cart_row(self, cart_id: int, customer: int, store_id: int, value: float, failed: bool, route: str,
                  control: bool, abandoned: float, workable: float, recovered_at: float | None,
                  attempts: list[tuple]) -> None:
        rng = self.rng
        recent = self.now - abandoned < OPEN_WITHIN.total_seconds()
        credit = None
        if recovered_at is not None:
            status = "recovered"
            if control:
                attribution = "control"
            else:
                before = [attempt for attempt in attempts if attempt[2] <= recovered_at]
                credit = before[-1] if before and recovered_at - before[-1][2] <= ATTRIBUTION_WINDOW.total_seconds() \
                    else None
                attribution = "contacted" if credit else "self_recovered"
        else:
            attribution = ""
            status = "open" if recent and rng.random() < 0.8 else rng.choices(
                ("lost", "expired", "suppressed"), (45, 45, 10))[0]
        voice = [attempt for attempt in attempts if attempt[1] == "voice"]
        last_at = attempts[-1][2] if attempts else abandoned
        next_call = ended = None
        if status == "open" and route == "call_first":
            if len(voice) >= 5:
                ended = voice[-1][2]
            elif voice:
                next_call = voice[-1][2] + rng.uniform(1, 8) * 3600
        message_step, message_at = (1 + len(attempts) % 3, last_at + 3600) \
            if status == "open" and route == "automated_first" else (0, None)
        updated = max(last_at, recovered_at or 0)
        upsell = f"{rng.uniform(5, 80):.2f}" if recovered_at and rng.random() < 0.2 else (
            "0.00" if recovered_at else r"\N")
        n = r"\N"
        self.out.write("recovery_cart", "\t".join((
            str(cart_id), str(store_id), "", f"{cart_id:032x}", str(self.ids.customer + customer), status, "",
            f"{value:.2f}", "USD", "", _ts(abandoned - 600), _ts(abandoned), _ts(abandoned),
            _opt(recovered_at), "t" if failed else "f", "t" if failed or rng.random() < 0.5 else "f",
            "Card declined" if failed else "", "", _opt(recovered_at), f"{value:.2f}" if recovered_at else n,
            f"#{cart_id}" if recovered_at else "", attribution, str(credit[0]) if credit else n,
            str(credit[3]) if credit and credit[3] else n, credit[1] if credit else "", upsell,
            "t" if control else "f", route, f"{rng.uniform(*SCORES[route]):.2f}", "bench", _ts(workable),
            _ts(workable), _opt(attempts[0][2] if attempts else None), str(len(voice)),
            _opt(next_call), _opt(ended), str(message_step), _opt(message_at), "{}", _ts(abandoned - 600),
            _ts(updated),
        )) + "\n")

    def _never_abandoned(self, cart_id: int, customer: int, store_id: int, value: float, created: float) -> None:
        pending = self.rng.random() < 0.05 and self.now - created < 3600 * 24
        status = "pending" if pending else "completed"
        n = r"\N"
        self.out.write("recovery_cart", "\t".join((
            str(cart_id), str(store_id), "", f"{cart_id:032x}", str(self.ids.customer + customer), status, "",
            f"{value:.2f}", "USD", "", _ts(created), _ts(created), n, n if pending else _ts(created + 300), "f", "t",
            "", "", n, n, "", "", n, n, "", n, "f", "", "0.00", "", n, n, n, "0", n, n, "0", n, "{}", _ts(created),
            _ts(created),
        )) + "\n")


def _sequence(pg: psycopg.Connection, table: str) -> str:
    return pg.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table]).fetchone()[0]


def _next_id(pg: psycopg.Connection, table: str) -> int:
    return pg.execute("SELECT nextval(%s)", [_sequence(pg, table)]).fetchone()[0]


def _copy_file(pg: psycopg.Connection, table: str, columns: tuple[str, ...], path: Path) -> None:
    with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy, \
            path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK):
            copy.write(chunk)


def _skip_foreign_key_checks(pg: psycopg.Connection) -> bool:
    """Foreign-key triggers off for this session (superuser only): the generated rows are consistent by
    construction, and checking 20 million references would double the load. Returns whether it was allowed."""
    try:
        pg.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


def load(plan: Plan) -> dict:
    """Generate the rows into temporary files, COPY them, VACUUM ANALYZE; returns counts and seconds per step."""
    timings: dict = {}
    with psycopg.connect(**queue_setup.connection_kwargs(), autocommit=True) as pg, \
            tempfile.TemporaryDirectory(prefix="dashboards-bench-") as folder:
        ids = Ids(cart=_next_id(pg, "recovery_cart"), customer=_next_id(pg, "recovery_customer"),
                  decision=_next_id(pg, "compliance_contactdecision"),
                  attempt=_next_id(pg, "compliance_contactattempt"), call=_next_id(pg, "agents_call"))
        first_customer = ids.customer
        started = time.monotonic()
        writer = Writer(Path(folder))
        CartGenerator(plan, writer, ids).run()
        writer.close()
        with writer.paths["recovery_customer"].open("w") as customers:
            customers.writelines(queue_data.customer_rows(
                queue_data.LoadPlan(carts=plan.carts, at=plan.now, store_ids=plan.store_ids, away_agent_id=0),
                first_customer))
        writer.rows["recovery_customer"] = plan.customers
        timings["generate_s"] = time.monotonic() - started
        started = time.monotonic()
        timings["foreign_key_checks_skipped"] = _skip_foreign_key_checks(pg)
        columns = {"recovery_customer": queue_data.CUSTOMER_COLUMNS, "recovery_cart": CART_COLUMNS,
                   "compliance_contactdecision": DECISION_COLUMNS, "compliance_contactattempt": ATTEMPT_COLUMNS,
                   "agents_call": CALL_COLUMNS, "agents_call_frictions": FRICTION_COLUMNS,
                   "agents_agentstatuschange": STATUS_COLUMNS}
        for table in TABLES:
            table_started = time.monotonic()
            with pg.transaction():
                _copy_file(pg, table, columns[table], writer.paths[table])
            timings[f"copy_{table}_s"] = round(time.monotonic() - table_started, 1)
        pg.execute("RESET session_replication_role")
        for table, next_id in (("recovery_cart", ids.cart), ("recovery_customer", first_customer + plan.customers),
                               ("compliance_contactdecision", ids.decision),
                               ("compliance_contactattempt", ids.attempt), ("agents_call", ids.call)):
            pg.execute("SELECT setval(%s, %s)", [_sequence(pg, table), next_id])
        timings["copy_s"] = time.monotonic() - started
        started = time.monotonic()
        for table in TABLES:
            pg.execute(f"VACUUM (ANALYZE) {table}")
        timings["vacuum_analyze_s"] = time.monotonic() - started
    return {"rows": writer.rows, **timings}
