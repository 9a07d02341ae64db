"""The simulated agents: threads popping the work queue, timing each pop, finishing each cart they get.

Every thread is one agent with its own database connection (a plain psycopg one for the floor, Django's
per-thread connection for `next_cart`). The agents of a phase are spread over --processes worker processes
(each a fresh interpreter, as gunicorn's workers are: agents are served by several processes, not threads
of one, so no single interpreter lock is the limit), the same layout for the floor and `next_cart`; the
processes start their clocks together and send back what they measured, and the checks (no cart handed to
two agents) run over the pops of every process, whose times share the system's monotonic clock. Only the
pop is timed. After it, outside the timed section, the
agent "makes the call": one UPDATE that does what `cart_attempt_record` and `cart_release` do after a call
(one more attempt, the next call planned 5 hours on, the lease given back), so every pop takes a new cart
and the queue's head fills with called carts that both the floor and `next_cart` must step over. The
ContactAttempt row the gate would write is left out: the run is about the queue, and the agent would
otherwise have to log an outcome before the guardrail lets it take the next cart.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from bench.common import database
from bench.common.loadgen import percentile
from bench.work_queue.setup import Agent, connection_kwargs

# The bare pop: the brief's `UPDATE ... SKIP LOCKED` of the best never-called cart, on the partial index
# next_cart reads them from (`cart_call_queue_new`); the consume step's next_call_at takes a called cart out.
# The floor commits as `next_cart`'s pop does: without waiting for the write-ahead log's flush (see
# agents/services/queue_sql.py), so the two differ in the work done, not in what they wait for on the disk.
FLOOR_SQL = """
UPDATE recovery_cart SET reserved_by_id = %(agent)s, reserved_until = %(at)s + interval '10 minutes'
WHERE id = (SELECT id FROM recovery_cart
            WHERE status = 'open' AND route = 'call_first' AND next_call_at IS NULL AND calls_ended_at IS NULL
              AND (reserved_until IS NULL OR reserved_until <= %(at)s)
            ORDER BY priority_score DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, set_config('synchronous_commit', 'off', true)
"""
CONSUME_SQL = """
UPDATE recovery_cart SET call_attempts = call_attempts + 1, first_attempt_at = coalesce(first_attempt_at, %(at)s),
       next_call_at = %(at)s + interval '5 hours', reserved_by_id = NULL, reserved_until = NULL
WHERE id = %(cart)s
"""
WARMUP_CALLS = 2
# How long a process may take to start (Django, the gate's number data) and warm its agents up, and a
# phase to end, before the run is declared broken rather than left hanging.
START_TIMEOUT_S = 300.0
PHASES = ("floor", "saturated", "paced")
PACED_INTERVAL_S = 2.0
PACED_JITTER_S = 0.5


@dataclass(frozen=True)
class Pop:
    """One cart handed to one agent: when it was handed (after the pop returned) and given back."""

    cart_id: int
    agent_id: int
    handed: float
    released: float


@dataclass
class PhaseRecord:
    """Everything the threads of one phase measured; lists are appended to from many threads (GIL-safe)."""

    name: str
    agents: int
    processes: int = 1
    latencies_ms: list[float] = field(default_factory=list)
    pops: list[Pop] = field(default_factory=list)
    empty: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict = field(default_factory=dict)

    def summary(self) -> dict:
        ordered = sorted(self.latencies_ms)
        return {
            "name": self.name, "agents": self.agents, "processes": self.processes, "calls": len(ordered),
            "seconds": round(self.seconds, 2),
            "per_second": round(len(ordered) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": percentile(ordered, 50), "p95_ms": percentile(ordered, 95), "p99_ms": percentile(ordered, 99),
            "max_ms": ordered[-1] if ordered else 0.0, "carts_handed": len(self.pops), "empty": self.empty,
            "errors": len(self.errors), "error_samples": self.errors[:5], "cpu": self.cpu,
            "handed_twice": handed_twice(self.pops),
        }


def handed_twice(pops: list[Pop]) -> dict:
    """Carts handed out more than once in the phase, and how many of those while another agent held them.

    After its call a cart waits 5 hours for the next one, so within a phase any repeat is a fault; an
    overlap (handed again before the first agent gave it back) is the fault SKIP LOCKED must prevent.
    """
    by_cart: dict[int, list[Pop]] = defaultdict(list)
    for pop in pops:
        by_cart[pop.cart_id].append(pop)
    repeated = {cart: sorted(found, key=lambda pop: pop.handed) for cart, found in by_cart.items() if len(found) > 1}
    overlapping = [cart for cart, found in repeated.items()
                   if any(later.handed < earlier.released for earlier, later in zip(found, found[1:], strict=False))]
    return {"carts": len(repeated), "overlapping": len(overlapping), "examples": sorted(repeated)[:5]}


class _StartLine:
    """Where a process's agent threads wait once warmed up, until every process's agents are: `wait()` is
    what a thread calls; the process's main thread calls `all_ready()`, then `go()` once the others are."""

    def __init__(self, threads: int) -> None:
        self._ready, self._go = threading.Barrier(threads + 1), threading.Event()

    def wait(self) -> None:
        self._ready.wait(timeout=START_TIMEOUT_S)
        self._go.wait()

    def all_ready(self) -> None:
        self._ready.wait(timeout=START_TIMEOUT_S)

    def go(self) -> None:
        self._go.set()


def _run_threads(targets: list[Callable[[_StartLine], None]], everyone) -> tuple[float, float]:
    """Start one thread per agent; they warm up, and when every process's agents have (`everyone`, a
    barrier shared by the processes), the clock starts. Returns when it started and when the last ended."""
    line = _StartLine(len(targets))
    threads = [threading.Thread(target=target, args=(line,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    line.all_ready()
    everyone.wait(timeout=START_TIMEOUT_S)
    started = time.perf_counter()
    line.go()
    for thread in threads:
        thread.join()
    return started, time.perf_counter()


def run_phase(phase: str, agents: list[Agent], *, at: datetime, duration: float, processes: int) -> PhaseRecord:
    """One phase ("floor", "saturated" or "paced") with the agents dealt round-robin over `processes`
    fresh worker processes (so each gets a mix of kinds of agent), measured together."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no connection or thread forked
    groups = [[(number, agent) for number, agent in enumerate(agents)][index::processes]
              for index in range(processes)]
    groups = [group for group in groups if group]
    everyone, results = context.Barrier(len(groups) + 1), context.Queue()
    workers = [context.Process(target=_process_main, args=(phase, group, at, duration, everyone, results),
                               name=f"bench-queue-{phase}-{index}", daemon=True)
               for index, group in enumerate(groups)]
    for worker in workers:
        worker.start()
    try:
        everyone.wait(timeout=START_TIMEOUT_S)
        portions = [results.get(timeout=START_TIMEOUT_S + duration) for _ in workers]
    except Exception as exc:  # a broken barrier, an empty queue (timed out), a lost pipe
        raise RuntimeError(f"a worker process of the {phase} phase did not start or finish ({exc!r})") from exc
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()
    return _merged(phase, len(agents), len(groups), portions)


def _merged(phase: str, agents: int, processes: int, portions: list[dict]) -> PhaseRecord:
    record = PhaseRecord(name=_PHASE_NAMES[phase], agents=agents, processes=processes)
    for portion in portions:
        record.latencies_ms += portion["latencies_ms"]
        record.pops += portion["pops"]
        record.empty += portion["empty"]
        record.errors += portion["errors"]
    record.seconds = max(portion["ended"] for portion in portions) - min(portion["started"] for portion in portions)
    return record


def _process_main(phase: str, agents: list[tuple[int, Agent]], at: datetime, duration: float, everyone,
                  results) -> None:
    """A worker process: Django set up from the environment the run exported, then this process's agents."""
    database.django_setup()
    record = PhaseRecord(name=phase, agents=len(agents))
    try:
        if phase == "floor":
            targets = _floor_targets(record, [agent for _, agent in agents], at=at, duration=duration)
        else:
            warm_up_process()
            targets = _next_cart_targets(record, agents, at=at, duration=duration, paced=phase == "paced")
        started, ended = _run_threads(targets, everyone)
    except BaseException:
        everyone.abort()  # the others and the run stop waiting for this process
        raise
    results.put({"latencies_ms": record.latencies_ms, "pops": record.pops, "empty": record.empty,
                 "errors": record.errors, "started": started, "ended": ended, "pid": os.getpid()})


def warm_up_process() -> None:
    """The gate places US numbers with phonenumbers' geocoder (about 100 MB, imported on first use):
    load it once here rather than inside the first timed call."""
    from compliance.services import hours

    hours.recipient_locations(phone="+12125550199", country="US", region="NY")


def _floor_targets(record: PhaseRecord, agents: list[Agent], *, at: datetime, duration: float) -> list:
    kwargs = connection_kwargs()

    def agent_loop(agent: Agent, barrier: _StartLine) -> None:
        with psycopg.connect(**kwargs, autocommit=True) as pg:
            params = {"agent": agent.user_id, "at": at}
            for _ in range(WARMUP_CALLS):
                _floor_pop(pg, params, None)
            barrier.wait()
            stop_at = time.perf_counter() + duration
            while time.perf_counter() < stop_at:
                _floor_pop(pg, params, record)

    return [lambda barrier, agent=agent: agent_loop(agent, barrier) for agent in agents]


def _floor_pop(pg: psycopg.Connection, params: dict, record: PhaseRecord | None) -> None:
    started = time.perf_counter()
    row = pg.execute(FLOOR_SQL, params).fetchone()
    handed = time.perf_counter()
    if row is not None:
        pg.execute(CONSUME_SQL, {"at": params["at"], "cart": row[0]})
    if record is None:
        return
    record.latencies_ms.append((handed - started) * 1000)
    if row is None:
        record.empty += 1
    else:
        record.pops.append(Pop(row[0], params["agent"], handed, time.perf_counter()))


def next_cart_pop(user, at: datetime | None, record: PhaseRecord | None) -> int | None:
    """One `next_cart` call, timed, then the call made (outside the timing); returns the cart's id.

    `at` None: the real time (the webhook phase), else the run's fixed instant."""
    from django.db import connection
    from django.utils import timezone

    from agents.services import next_cart

    started = time.perf_counter()
    try:
        cart = next_cart(user, now=at)
    except Exception as exc:  # a failed pop is counted and shown, and the agent carries on
        if record is not None:
            record.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    handed = time.perf_counter()
    if cart is not None:
        # The floor's own cursor class on the same session: server-side binding, prepared by psycopg after a
        # few runs, so the untimed call costs the same in every phase (Django's cursors bind client-side).
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(CONSUME_SQL, {"at": at or timezone.now(), "cart": cart.pk})
    if record is not None:
        record.latencies_ms.append((handed - started) * 1000)
        if cart is None:
            record.empty += 1
        else:
            record.pops.append(Pop(cart.pk, user.pk, handed, time.perf_counter()))
    return cart.pk if cart is not None else None


def _agent_thread(agent: Agent, at: datetime, body: Callable[[object], None], barrier: _StartLine,
                  record: PhaseRecord) -> None:
    """Load the agent's user, warm its connection up (and its prepared gate statement), run `body`, and
    close the thread's connection whatever happens: Django opens one per thread and never closes it."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    try:
        user = get_user_model().objects.get(pk=agent.user_id)
        for _ in range(WARMUP_CALLS):
            next_cart_pop(user, at, None)
    except Exception as exc:
        record.errors.append(f"warm-up: {type(exc).__name__}: {exc}")
        user = None
    try:
        barrier.wait()
        if user is not None:
            body(user)
    finally:
        connection.close()


class _Saturated:
    """An agent that asks again the moment it has finished the previous cart."""

    def __init__(self, at: datetime, duration: float, record: PhaseRecord) -> None:
        self.at, self.duration, self.record = at, duration, record

    def __call__(self, user) -> None:
        stop_at = time.perf_counter() + self.duration
        while time.perf_counter() < stop_at:
            next_cart_pop(user, self.at, self.record)


class _Paced:
    """An agent that asks about once every 2 seconds (uniformly 1.5-2.5 s apart), starting at a random
    moment of the first interval, so the 50 agents' requests are spread rather than synchronised."""

    def __init__(self, at: datetime, duration: float, record: PhaseRecord, seed: int) -> None:
        self.at, self.duration, self.record = at, duration, record
        self.rng = random.Random(seed)

    def __call__(self, user) -> None:
        start = time.perf_counter()
        due = start + self.rng.uniform(0, PACED_INTERVAL_S)
        while due < start + self.duration:
            time.sleep(max(0.0, due - time.perf_counter()))
            next_cart_pop(user, self.at, self.record)
            due += self.rng.uniform(PACED_INTERVAL_S - PACED_JITTER_S, PACED_INTERVAL_S + PACED_JITTER_S)


def _next_cart_targets(record: PhaseRecord, agents: list[tuple[int, Agent]], *, at: datetime, duration: float,
                       paced: bool) -> list:
    """The agents' threads; a paced agent's seed is its number in the whole run, whatever process it is in."""
    targets = []
    for number, agent in agents:
        body = _Paced(at, duration, record, seed=number) if paced else _Saturated(at, duration, record)
        targets.append(lambda barrier, agent=agent, body=body: _agent_thread(agent, at, body, barrier, record))
    return targets


_PHASE_NAMES = {"floor": "floor: bare UPDATE pop", "saturated": "next_cart: saturated",
                "paced": f"next_cart: 1 ask / {PACED_INTERVAL_S:g} s each"}
