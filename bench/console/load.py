"""The simulated agents working their open call over HTTP, and gunicorn's own timing of each request.

Each agent is a thread with its session and CSRF cookies, walking its call round the middle of the script: the cart
screen, then steps 2 -> 3 -> 4 -> 5 and back to 2, each step's form posted as htmx posts it (`HX-Request`), so the
server renders the next step's partial, never finishing the call; between actions it polls the line partial, as
the console does every second while a call is live. Saturated, the agent sends its next request the moment the
last one answered; paced, it acts about once every 2 s (1.5-2.5 s) and polls the line every second, like a person.

Client latency is measured around each request. gunicorn's sync workers close the connection after every response
(they never keep it alive), so it includes a local TCP connect. Server time comes from gunicorn's access log
(`%(D)s`, microseconds from the parsed request to the response written), tagged per request by an `X-Bench`
header, so it leaves out the wait in the listen backlog and the client's own share of the two cores.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.common.loadgen import percentile
from bench.console.data import ConsoleAgent

ACCESS_LOG_FORMAT = "%({x-bench}i)s %(s)s %(D)s"
PACED_ACTION_S = (1.5, 2.5)
PACED_LINE_S = 1.0
TIMEOUT_S = 30.0
# The kinds a request is reported under; a step partial is a submitted step or a "back".
KINDS = ("screen", "step", "line")


@dataclass(frozen=True)
class Action:
    name: str  # in the JSON's breakdown, e.g. "step 2 -> 3"
    kind: str  # in KINDS
    method: str
    path: str
    form: dict | None = None
    htmx: bool = True


def cycle(call_id: int) -> list[Action]:
    """What an agent does round and round: opens the cart screen, walks steps 2-5, goes back to step 2."""
    step = f"/agent/calls/{call_id}/step/"
    return [
        Action("cart screen", "screen", "GET", f"/agent/calls/{call_id}/", htmx=False),
        Action("step 2 -> 3", "step", "POST", step, {"friction": ["price", "shipping_costs"], "notes": "too dear"}),
        Action("step 3 -> 4", "step", "POST", step, {"offered": ["Free shipping"], "resolved": "yes"}),
        Action("step 4 -> 5", "step", "POST", step, {"used": ["Free returns for 60 days"]}),
        Action("back 5 -> 2", "step", "POST", f"/agent/calls/{call_id}/back/2/"),
    ]


def line_action(call_id: int) -> Action:
    return Action("line partial", "line", "GET", f"/agent/calls/{call_id}/line/")


@dataclass
class PhaseRecord:
    """What the client threads of one phase measured (lists appended to from many threads, GIL-safe)."""

    name: str
    tag: str  # the X-Bench prefix of this phase's requests
    agents: int
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict = field(default_factory=dict)


class AgentClient:
    """One agent's HTTP client: its cookies and CSRF header on every request, one connection reopened as needed."""

    def __init__(self, host: str, port: int, agent: ConsoleAgent, session_cookie: str) -> None:
        self.agent = agent
        self.connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        self.headers = {"Cookie": f"{session_cookie}={agent.session_key}; csrftoken={agent.csrf_token}",
                        "X-CSRFToken": agent.csrf_token, "Host": host}

    def send(self, action: Action, tag: str) -> tuple[int, float]:
        """(HTTP status, client latency in ms)."""
        headers = {**self.headers, "X-Bench": f"{tag}.{action.kind}.{action.name.replace(' ', '_')}"}
        body = None
        if action.htmx:
            headers["HX-Request"] = "true"
        if action.method == "POST":
            body = urlencode(action.form or {}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(action.method, action.path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, (time.perf_counter() - started) * 1000
        return response.status, (time.perf_counter() - started) * 1000

    def act(self, action: Action, tag: str, record: PhaseRecord | None) -> bool:
        status, latency = self.send(action, tag)
        if record is not None:
            record.latencies_ms[action.kind].append(latency)
            if status != 200:
                record.errors.append(f"{self.agent.username} {action.name}: HTTP {status}")
        return status == 200

    def resync(self, tag: str) -> None:
        """After a failed step, put the call back at step 2 (a refused "back" means it is there already)."""
        self.send(Action("resync", "resync", "POST", f"/agent/calls/{self.agent.call_id}/back/2/"), tag)

    def close(self) -> None:
        self.connection.close()


def warm_up(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str) -> list[str]:
    """Every agent walks its cycle once, all at the same time (so both workers import and connect everything, and
    each call's first line poll records the simulated ringing and answer); returns the failures."""
    record = PhaseRecord(name="warm-up", tag="warmup", agents=len(agents))

    def walk(agent: ConsoleAgent) -> None:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            for action in [line_action(agent.call_id), *cycle(agent.call_id), line_action(agent.call_id)]:
                client.act(action, record.tag, record)
        finally:
            client.close()

    threads = [threading.Thread(target=walk, args=(agent,), daemon=True) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return record.errors


def resync_all(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str) -> None:
    """Put every call back at step 2 (a phase may have stopped an agent anywhere in its walk), untimed."""
    for agent in agents:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            client.resync("resync")
        finally:
            client.close()


def _saturated(client: AgentClient, record: PhaseRecord, stop_at: float, rng: random.Random) -> None:
    actions = cycle(client.agent.call_id)
    line = line_action(client.agent.call_id)
    position = rng.choice((0, 1))  # the call is at step 2: start at the cart screen or at step 2's form
    while time.perf_counter() < stop_at:
        action = actions[position % len(actions)]
        if not client.act(action, record.tag, record) and action.kind == "step":
            client.resync(record.tag)
            position = 0
        else:
            position += 1
        client.act(line, record.tag, record)


def _paced(client: AgentClient, record: PhaseRecord, stop_at: float, rng: random.Random) -> None:
    actions = cycle(client.agent.call_id)
    line = line_action(client.agent.call_id)
    now = time.perf_counter()
    # First action and poll at a random moment, so the agents' requests are spread rather than in step.
    next_action, next_line = now + rng.uniform(0, PACED_ACTION_S[1]), now + rng.uniform(0, PACED_LINE_S)
    position = rng.choice((0, 1))  # the call is at step 2: start at the cart screen or at step 2's form
    while True:
        due = min(next_action, next_line)
        if due >= stop_at:
            return
        time.sleep(max(0.0, due - time.perf_counter()))
        if next_line <= next_action:
            client.act(line, record.tag, record)
            next_line += PACED_LINE_S
            continue
        action = actions[position % len(actions)]
        if not client.act(action, record.tag, record) and action.kind == "step":
            client.resync(record.tag)
            position = 0
        else:
            position += 1
        next_action += rng.uniform(*PACED_ACTION_S)


def run_phase(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str, *, paced: bool,
              duration: float) -> PhaseRecord:
    """One thread per agent, started together; the phase ends `duration` s later (the last requests are awaited)."""
    label = "50 agents, 1 action / 2 s + line / 1 s" if paced else "saturated"
    record = PhaseRecord(name=label.replace("50", str(len(agents))), tag="paced" if paced else "saturated",
                         agents=len(agents))
    body = _paced if paced else _saturated
    resync_all(host, port, agents, session_cookie)
    barrier = threading.Barrier(len(agents) + 1)

    def agent_thread(agent: ConsoleAgent, seed: int) -> None:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            barrier.wait()
            body(client, record, time.perf_counter() + duration, random.Random(seed))
        finally:
            client.close()

    threads = [threading.Thread(target=agent_thread, args=(agent, number), daemon=True)
               for number, agent in enumerate(agents)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    record.seconds = time.perf_counter() - started
    return record


def server_times(access_log: Path, tag: str) -> dict[str, dict[str, list[float]]]:
    """{kind: {action name: [server ms...]}} of the phase's requests with status 200, from gunicorn's access log."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith(f"{tag}.") or parts[1] != "200":
            continue
        _, kind, name = parts[0].split(".", 2)
        found[kind][name.replace("_", " ")].append(int(parts[2]) / 1000)
    return found


def stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"count": len(ordered), "p50_ms": round(percentile(ordered, 50), 2),
            "p95_ms": round(percentile(ordered, 95), 2), "p99_ms": round(percentile(ordered, 99), 2),
            "max_ms": round(ordered[-1], 2) if ordered else 0.0}


def summary(record: PhaseRecord, access_log: Path) -> dict:
    """Per kind: client latency and server time percentiles, requests/s; server time per action too."""
    server = server_times(access_log, record.tag)
    kinds = {}
    for kind in KINDS:
        by_action = server.get(kind, {})
        every = [value for values in by_action.values() for value in values]
        client = record.latencies_ms.get(kind, [])
        kinds[kind] = {"server": stats(every), "client": stats(client),
                       "per_second": round(len(client) / record.seconds, 1) if record.seconds else 0.0,
                       "server_by_action": {name: stats(values) for name, values in sorted(by_action.items())}}
    total = sum(len(values) for values in record.latencies_ms.values())
    return {"name": record.name, "tag": record.tag, "agents": record.agents, "seconds": round(record.seconds, 2),
            "requests": total, "per_second": round(total / record.seconds, 1) if record.seconds else 0.0,
            "kinds": kinds, "errors": len(record.errors), "error_samples": record.errors[:5], "cpu": record.cpu}
