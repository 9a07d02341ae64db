"""Supervisors using the dashboards over HTTP, and gunicorn's own timing of each request.

Each supervisor is two threads with the same session: one keeps the live view open, polling its panel every
LIVE_POLL_S seconds as htmx does (`HX-Request`), the other opens the dashboard, reads it for a few seconds
(READ_S), and opens it again, in turn without a filter, for one store and for one agent. Server time comes from
gunicorn's access log (`%(D)s`, from the parsed request to the response written; tagged per request by an `X-Bench`
header), so it leaves out the wait in the listen backlog. The CSV downloads are timed afterwards, one at a time.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.common import sessions
from bench.common.sessions import PhaseRecord, SessionClient, request_tag, run_together

LIVE_POLL_S = 5.0
READ_S = (2.0, 5.0)
TIMEOUT_S = 600.0
KINDS = ("dashboard", "live")


@dataclass(frozen=True)
class Supervisor:
    username: str
    session_key: str


class Client:
    """One supervisor's HTTP client: the session cookie on every request."""

    def __init__(self, host: str, port: int, supervisor: Supervisor, cookie: str) -> None:
        self.supervisor = supervisor
        self.client = SessionClient(host, port, cookie, supervisor.session_key, timeout=TIMEOUT_S)

    def close(self) -> None:
        self.client.close()


def _act(client: Client, record: PhaseRecord, kind: str, name: str, path: str, *, htmx: bool = False) -> None:
    status, latency, body = client.client.request("GET", path, request_tag(record.tag, kind, name), htmx=htmx)
    record.add(kind, f"{client.supervisor.username} {name}", status, latency, body)


def _dashboard_reader(client: Client, record: PhaseRecord, variants: dict[str, str], stop_at: float,
                      rng: random.Random, offset: int) -> None:
    names = list(variants)
    position = offset
    time.sleep(rng.uniform(0, READ_S[1]))  # supervisors do not all open the page at the same instant
    while time.perf_counter() < stop_at:
        name = names[position % len(names)]
        _act(client, record, "dashboard", name, variants[name])
        position += 1
        time.sleep(rng.uniform(*READ_S))


def _live_poller(client: Client, record: PhaseRecord, stop_at: float, rng: random.Random) -> None:
    next_poll = time.perf_counter() + rng.uniform(0, LIVE_POLL_S)
    while next_poll < stop_at:
        time.sleep(max(0.0, next_poll - time.perf_counter()))
        _act(client, record, "live", "live panel", "/dashboards/live/", htmx=True)
        next_poll += LIVE_POLL_S


def run_phase(host: str, port: int, supervisors: list[Supervisor], cookie: str, variants: dict[str, str], *,
              duration: float, with_live: bool = True, tag: str = "load") -> PhaseRecord:
    """Every supervisor reads the dashboard (and polls the live view) for `duration` s; requests under way when it
    ends are awaited."""
    record = PhaseRecord(name=f"{len(supervisors)} supervisors" + (", live view open" if with_live else ""),
                         tag=tag, users=len(supervisors))

    def reader(supervisor: Supervisor, number: int) -> None:
        client = Client(host, port, supervisor, cookie)
        try:
            _dashboard_reader(client, record, variants, time.perf_counter() + duration, random.Random(number),
                              number)
        finally:
            client.close()

    def poller(supervisor: Supervisor, number: int) -> None:
        client = Client(host, port, supervisor, cookie)
        try:
            _live_poller(client, record, time.perf_counter() + duration, random.Random(1000 + number))
        finally:
            client.close()

    bodies = [partial(reader, supervisor, number) for number, supervisor in enumerate(supervisors)]
    if with_live:
        bodies += [partial(poller, supervisor, number) for number, supervisor in enumerate(supervisors)]
    record.seconds = run_together(bodies)
    return record


def warm_up(host: str, port: int, supervisors: list[Supervisor], cookie: str, variants: dict[str, str]) -> list[str]:
    """Every page once per supervisor, the supervisors at the same time (so both workers import, connect and compile
    their templates before the timed phase); returns the failures."""
    record = PhaseRecord(name="warm-up", tag="warmup", users=len(supervisors))

    def walk(supervisor: Supervisor) -> None:
        client = Client(host, port, supervisor, cookie)
        try:
            for name, path in variants.items():
                _act(client, record, "dashboard", name, path)
            _act(client, record, "live", "live panel", "/dashboards/live/", htmx=True)
        finally:
            client.close()

    run_together([partial(walk, supervisor) for supervisor in supervisors])
    return record.errors


def time_downloads(host: str, port: int, supervisor: Supervisor, cookie: str, downloads: dict[str, str],
                   repeats: int, tag: str = "csv") -> PhaseRecord:
    """Each CSV download `repeats` times, one at a time."""
    record = PhaseRecord(name="CSV downloads, one at a time", tag=tag, users=1)
    client = Client(host, port, supervisor, cookie)
    started = time.perf_counter()
    try:
        for _ in range(repeats):
            for name, path in downloads.items():
                _act(client, record, "csv", name, path)
    finally:
        client.close()
    record.seconds = time.perf_counter() - started
    return record


def summary(record: PhaseRecord, access_log: Path, kinds: tuple[str, ...] = KINDS) -> dict:
    """Per kind: server time and client latency percentiles, per request variant the server time."""
    return sessions.summary(record, access_log, kinds)
