"""The soak's 50 agents: each a thread working the queue through the call console's HTTP endpoints, as the browser
does, with its own session and CSRF cookies and a short, non-zero think time between actions.

One round: "Next cart" (a plain form POST, answered with a redirect to the call), the cart screen, Dial (htmx, the
offline line), the line polled every second until the simulated customer answers (or the agent hangs up after a
couple of rings), the opening's answer; when reached, steps 2-5 (frictions, what was offered, value points, now
and then the checkout link by email), hang up, then the wrap-up with a disposition and "Save and take the next
cart", whose answer (an htmx redirect) is the next call. A dial the gate refuses is passed and wrapped up as not
called. With nothing to call the agent is sent home and asks again a moment later.

Every assignment is recorded client-side: the checkout token the cart screen shows (its recovery link), when the
agent surely held it (from the answer that handed it over to the moment it sent the wrap-up) and whether the dial
went through, so double assignments can be found without trusting the server. Each request is timed and its
status kept per kind; a status other than the one the console expects is an error.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

TIMEOUT_S = 30.0
CALL_PATH = re.compile(r"^/agent/calls/(\d+)/$")
TOKEN_IN_PAGE = re.compile(r"/checkouts/([0-9a-f]{32})/recover")
ERROR_IN_PAGE = re.compile(r'class="error"[^>]*>(.*?)</', re.S)
ANSWERS = [("reached", 60), ("no_answer", 18), ("voicemail", 10), ("busy", 8), ("wrong_number", 2), ("opt_out", 2)]
LINK_SHARE = 0.3
RING_POLLS_BEFORE_GIVING_UP = 2
MAX_LINE_POLLS = 10
LINE_POLL_S = 1.0
# What each kind of request answers when all is well (the dial and the link may also be refused by the gate: 422).
EXPECTED = {"home": {200}, "status": {302}, "next": {302}, "call page": {200}, "dial": {200}, "line": {200},
            "hang up": {200}, "step": {200}, "wrap-up": {204}, "pass": {200}, "link": {200}}
REFUSABLE = {"dial", "link"}
REFUSAL_SAMPLES = 10


@dataclass
class Assignment:
    """One cart handed to one agent, as the agent saw it."""

    agent: str
    call_id: int
    token: str = ""
    received: float = 0.0  # monotonic: the answer that handed the call over arrived
    released: float | None = None  # monotonic: the wrap-up was sent (None: never wrapped up)
    dialed: bool = False
    refused: bool = False


@dataclass
class Record:
    """What all agents measured (lists appended to from many threads, GIL-safe)."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refusal_samples: list[str] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    idle_asks: int = 0
    links_sent: int = 0

    def note(self, kind: str, status: int, ms: float, detail: str) -> None:
        self.latencies_ms[kind].append(ms)
        self.statuses[kind][status] += 1
        if status in EXPECTED[kind]:
            return
        if status == 422 and kind in REFUSABLE:
            self.refusals[kind] += 1
            if len(self.refusal_samples) < REFUSAL_SAMPLES:
                self.refusal_samples.append(f"{kind}: {detail}")
            return
        self.errors.append(f"{kind} HTTP {status}: {detail}")


def _gist(text: str) -> str:
    """The error a partial shows (`class="error"`), else the start of the body."""
    found = ERROR_IN_PAGE.search(text)
    return re.sub(r"\s+", " ", found.group(1)).strip()[:300] if found else text[:160]


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str


@dataclass(frozen=True)
class SoakAgent:
    user_id: int
    username: str
    session_key: str
    csrf_token: str


class Browser:
    """One agent's browser: a cookie jar, the CSRF token (hx-headers for htmx, the form field otherwise)."""

    def __init__(self, host: str, port: int, agent: SoakAgent, session_cookie: str, record: Record) -> None:
        self.agent, self.record = agent, record
        self.connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        self.cookies = {session_cookie: agent.session_key, "csrftoken": agent.csrf_token}
        self.host = host

    def request(self, kind: str, method: str, path: str, form: dict | None = None, *, htmx: bool = False) -> Reply:
        headers = {"Host": self.host, "X-Bench": kind.replace(" ", "_"),
                   "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.agent.csrf_token})
        if method == "POST":
            fields = dict(form or {})
            if not htmx:
                fields["csrfmiddlewaretoken"] = self.agent.csrf_token
            body = urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.record.note(kind, 0, (time.perf_counter() - started) * 1000, f"{self.agent.username}: {exc!r}")
            return Reply(0, "", "")
        self.record.note(kind, response.status, (time.perf_counter() - started) * 1000,
                         f"{self.agent.username} {method} {path}: {_gist(text)!r}")
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        location = response.headers.get("HX-Redirect") or response.headers.get("Location") or ""
        return Reply(response.status, urlsplit(location).path, text)

    def _keep_cookies(self, values: list[str]) -> None:
        for value in values:
            for name, morsel in SimpleCookie(value).items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self) -> None:
        self.connection.close()


@dataclass
class Pace:
    think_s: tuple[float, float]
    idle_s: tuple[float, float]
    rng: random.Random

    def think(self) -> None:
        time.sleep(self.rng.uniform(*self.think_s))

    def idle(self) -> None:
        time.sleep(self.rng.uniform(*self.idle_s))


class AgentSession:
    """One agent's shift: sign in is done (the session exists); set available, then work calls until told to stop."""

    def __init__(self, browser: Browser, pace: Pace, stop_taking: threading.Event, deadline: list[float]) -> None:
        self.browser, self.pace, self.stop_taking, self.deadline = browser, pace, stop_taking, deadline
        self.record = browser.record

    def start(self) -> None:
        """Open the console and say available (untimed warm-up is the caller's choice of record)."""
        self.browser.request("home", "GET", "/agent/")
        reply = self.browser.request("status", "POST", "/agent/status/", {"status": "available"})
        if reply.location:
            self.browser.request("home", "GET", reply.location)

    def run(self) -> None:
        location = ""
        while time.monotonic() < self.deadline[0]:
            matched = CALL_PATH.match(location)
            if matched:
                location = self.work_call(int(matched.group(1)))
                continue
            if location:  # sent home: nothing to call right now, or the wrap-up's "Save and stop"
                self.browser.request("home", "GET", location)
                if self.stop_taking.is_set():
                    return
                self.record.idle_asks += 1
                self.pace.idle()
            if self.stop_taking.is_set():
                return
            location = self.browser.request("next", "POST", "/agent/next/").location or "/agent/"

    def work_call(self, call_id: int) -> str:
        """Work one call to its wrap-up; returns where the wrap-up's answer sent the agent."""
        held = Assignment(agent=self.browser.agent.username, call_id=call_id, received=time.monotonic())
        self.record.assignments.append(held)
        page = self.browser.request("call page", "GET", f"/agent/calls/{call_id}/")
        found = TOKEN_IN_PAGE.search(page.body)
        held.token = found.group(1) if found else ""
        self.pace.think()
        base = f"/agent/calls/{call_id}"
        dial = self.browser.request("dial", "POST", f"{base}/dial/", htmx=True)
        if dial.status != 200:
            held.refused = dial.status == 422
            return self._pass(base, held)
        held.dialed = True
        answer = self.pace.rng.choices([a for a, _ in ANSWERS], [w for _, w in ANSWERS])[0]
        self._wait_on_line(base, answer)
        if answer != "reached":
            self.browser.request("hang up", "POST", f"{base}/hangup/", htmx=True)
            self._step(base, {"answer": answer})
            return self._wrap_up(base, held, {"no_answer": "no_answer", "voicemail": "voicemail", "busy": "busy",
                                               "wrong_number": "wrong_number", "opt_out": "do_not_call"}[answer])
        return self._conversation(base, held)

    def _wait_on_line(self, base: str, answer: str) -> None:
        """Poll the line as the console does until the customer answers (or give up ringing for a no-answer)."""
        for poll in range(MAX_LINE_POLLS):
            time.sleep(LINE_POLL_S)
            line = self.browser.request("line", "GET", f"{base}/line/", htmx=True)
            if answer in ("no_answer", "busy") and poll + 1 >= RING_POLLS_BEFORE_GIVING_UP:
                return
            if "Connected" in line.body or line.status != 200:
                return

    def _step(self, base: str, form: dict) -> Reply:
        self.pace.think()
        return self.browser.request("step", "POST", f"{base}/step/", form, htmx=True)

    def _conversation(self, base: str, held: Assignment) -> str:
        rng = self.pace.rng
        self._step(base, {"answer": "reached"})
        self._step(base, {"friction": rng.sample(["price", "shipping_costs", "delivery_timeline", "comparing"], 2),
                          "notes": "Wants to think it over."})
        self._step(base, {"offered": ["Free shipping"], "resolved": rng.choice(["yes", "partly", "no"])})
        self._step(base, {"used": []})
        disposition = rng.choice(["not_interested", "callback", "recovered"])
        if rng.random() < LINK_SHARE:
            self.pace.think()
            link = self.browser.request("link", "POST", f"{base}/link/", {"channel": "email"}, htmx=True)
            if link.status == 200:
                self.record.links_sent += 1
                disposition = "link_sent"
        self._step(base, {})  # step 5 -> wrap-up
        self.pace.think()
        self.browser.request("hang up", "POST", f"{base}/hangup/", htmx=True)
        return self._wrap_up(base, held, disposition)

    def _pass(self, base: str, held: Assignment) -> str:
        self.pace.think()
        self.browser.request("pass", "POST", f"{base}/pass/", htmx=True)
        return self._wrap_up(base, held, "not_called", notes="The gate refused the dial.")

    def _wrap_up(self, base: str, held: Assignment, disposition: str, notes: str = "") -> str:
        self.pace.think()
        then = "home" if self.stop_taking.is_set() else "next"
        held.released = time.monotonic()
        reply = self.browser.request("wrap-up", "POST", f"{base}/step/",
                                     {"disposition": disposition, "notes": notes, "then": then}, htmx=True)
        if reply.status != 204:
            held.released = None  # not wrapped up: the cart may still be the agent's
        return reply.location


class Floor:
    """The agents' threads. `warm_up()` returns once every agent has opened the console and said available
    (recorded apart); `go()` lets them work; `wait_out()` waits for the end of the load and stops new carts;
    `wind_down()` gives the calls in hand `grace` seconds to be wrapped up."""

    def __init__(self, host: str, port: int, agents: list[SoakAgent], session_cookie: str, *,
                 think_s: tuple[float, float], idle_s: tuple[float, float], seed: int = 7) -> None:
        self.address, self.agents, self.session_cookie = (host, port), agents, session_cookie
        self.think_s, self.idle_s, self.seed = think_s, idle_s, seed
        self.warm_up_record, self.record = Record(), Record()
        self.stop_taking = threading.Event()
        self.deadline = [float("inf")]
        self.started = self.stopped_taking = 0.0
        self._ready = threading.Barrier(len(agents) + 1)
        self._go = threading.Barrier(len(agents) + 1)
        self._threads: list[threading.Thread] = []

    def _shift(self, agent: SoakAgent, number: int) -> None:
        pace = Pace(self.think_s, self.idle_s, random.Random(self.seed * 1000 + number))
        warm = Browser(*self.address, agent, self.session_cookie, self.warm_up_record)
        try:
            AgentSession(warm, pace, self.stop_taking, self.deadline).start()
        finally:
            warm.close()
            self._ready.wait()
        self._go.wait()
        time.sleep(pace.rng.uniform(0, self.think_s[1] * 4))  # agents do not all press "Next cart" together
        browser = Browser(*self.address, agent, self.session_cookie, self.record)
        try:
            AgentSession(browser, pace, self.stop_taking, self.deadline).run()
        finally:
            browser.close()

    def warm_up(self) -> None:
        self._threads = [threading.Thread(target=self._shift, args=(agent, number), daemon=True)
                         for number, agent in enumerate(self.agents)]
        for thread in self._threads:
            thread.start()
        self._ready.wait()

    def go(self) -> None:
        self._go.wait()
        self.started = time.monotonic()

    def wait_out(self, duration: float) -> None:
        remaining = self.started + duration - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        self.stop_taking.set()
        self.stopped_taking = time.monotonic()

    def wind_down(self, grace: float) -> dict:
        self.deadline[0] = self.stopped_taking + grace
        for thread in self._threads:
            thread.join(max(0.0, self.deadline[0] + TIMEOUT_S - time.monotonic()))
        return {"load_s": round(self.stopped_taking - self.started, 1),
                "wind_down_s": round(time.monotonic() - self.stopped_taking, 1),
                "agents_still_working": sum(thread.is_alive() for thread in self._threads)}
