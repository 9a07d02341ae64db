"""The simulated agents working their open call over HTTP, and gunicorn's own timing of each request.

Each agent is a thread with its session and CSRF cookies, walking its call round the middle of the script: the cart
screen, then steps 2 -> 3 -> 4 -> 5 and back to 2, each step's form posted as htmx posts it (`HX-Request`), so the
server renders the next step's partial, never finishing the call; between actions it polls the line partial, as
the console does every second while a call is live. Saturated, the agent sends its next request the moment the
last one answered; paced, it acts about once every 2 s (1.5-2.5 s) and polls the line every second, like a person.

The clients and the server-side timing are `bench.common.sessions`'.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.common import sessions
from bench.common.sessions import PhaseRecord, SessionClient, request_tag, run_together
from bench.console.data import ConsoleAgent

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


class AgentClient:
    """One agent's HTTP client: its session and CSRF cookies, its open call."""

    def __init__(self, host: str, port: int, agent: ConsoleAgent, session_cookie: str) -> None:
        self.agent = agent
        self.client = SessionClient(host, port, session_cookie, agent.session_key, csrf_token=agent.csrf_token,
                                    timeout=TIMEOUT_S)

    def send(self, action: Action, tag: str) -> tuple[int, float, bytes]:
        return self.client.request(action.method, action.path, request_tag(tag, action.kind, action.name),
                                   htmx=action.htmx, form=action.form)

    def act(self, action: Action, tag: str, record: PhaseRecord | None) -> bool:
        status, latency, body = self.send(action, tag)
        if record is None:
            return status == 200
        return record.add(action.kind, f"{self.agent.username} {action.name}", status, latency, body)

    def resync(self, tag: str) -> None:
        """After a failed step, put the call back at step 2 (a refused "back" means it is there already)."""
        self.send(Action("resync", "resync", "POST", f"/agent/calls/{self.agent.call_id}/back/2/"), tag)

    def close(self) -> None:
        self.client.close()


def warm_up(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str) -> list[str]:
    """Every agent walks its cycle once, all at the same time (so both workers import and connect everything, and
    each call's first line poll records the simulated ringing and answer); returns the failures."""
    record = PhaseRecord(name="warm-up", tag="warmup", users=len(agents))

    def walk(agent: ConsoleAgent) -> None:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            for action in [line_action(agent.call_id), *cycle(agent.call_id), line_action(agent.call_id)]:
                client.act(action, record.tag, record)
        finally:
            client.close()

    run_together([partial(walk, agent) for agent in agents])
    return record.errors


def resync_all(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str) -> None:
    """Put every call back at step 2 (a phase may have stopped an agent anywhere in its walk), untimed."""
    for agent in agents:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            client.resync("resync")
        finally:
            client.close()


def _next_action(client: AgentClient, actions: list[Action], position: int, record: PhaseRecord) -> int:
    """Take the action at `position` in the cycle; the next position (back to the start after a refused step)."""
    action = actions[position % len(actions)]
    if not client.act(action, record.tag, record) and action.kind == "step":
        client.resync(record.tag)
        return 0
    return position + 1


def _saturated(client: AgentClient, record: PhaseRecord, stop_at: float, rng: random.Random) -> None:
    actions = cycle(client.agent.call_id)
    line = line_action(client.agent.call_id)
    position = rng.choice((0, 1))  # the call is at step 2: start at the cart screen or at step 2's form
    while time.perf_counter() < stop_at:
        position = _next_action(client, actions, position, record)
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
        position = _next_action(client, actions, position, record)
        next_action += rng.uniform(*PACED_ACTION_S)


def run_phase(host: str, port: int, agents: list[ConsoleAgent], session_cookie: str, *, paced: bool,
              duration: float) -> PhaseRecord:
    """One thread per agent, started together; the phase ends `duration` s later (the last requests are awaited)."""
    label = "50 agents, 1 action / 2 s + line / 1 s" if paced else "saturated"
    record = PhaseRecord(name=label.replace("50", str(len(agents))), tag="paced" if paced else "saturated",
                         users=len(agents))
    body = _paced if paced else _saturated
    resync_all(host, port, agents, session_cookie)

    def agent_body(agent: ConsoleAgent, seed: int) -> None:
        client = AgentClient(host, port, agent, session_cookie)
        try:
            body(client, record, time.perf_counter() + duration, random.Random(seed))
        finally:
            client.close()

    record.seconds = run_together([partial(agent_body, agent, number) for number, agent in enumerate(agents)])
    return record


def summary(record: PhaseRecord, access_log: Path) -> dict:
    """Per kind: client latency and server time percentiles, requests/s; server time per action too."""
    return sessions.summary(record, access_log, KINDS)
