"""SQL queries per console request, in this process (Django's test Client on the bench database), for carts whose
history holds 0, 10, 100 and 1,000 rows; and the plans of the cart screen's statements.

Each size has its own agent and open call (dialed, answered). The client walks the script the way an agent does:
the cart screen at step 1, steps 1 to 5 and the wrap-up, back to step 2, the cart screen at step 5 and the line
partial; every request is counted with `CaptureQueriesContext`. The walk is made once to warm up (the gate
PREPAREs its statement once per connection, the first render compiles the templates), then PASSES times counted:
the count must be the same in every pass and for every size, else it grows with history. Two statements that come
now and then whatever the cart are left out of the count and counted apart (PERIODIC): the gate's PREPARE, once per
database connection (Django replaces one older than CONN_MAX_AGE, 60 s, between two requests), and the reload of
the calling rules, which the gate caches per process for 60 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bench.console import data as console_data
from bench.work_queue import setup as queue_setup

HISTORY_SIZES = (0, 10, 100, 1_000)
PASSES = 5
# Statements a request makes now and then whatever the cart: the gate's PREPARE (once per database connection) and
# the calling rules' reload (the gate caches them per process for RULES_CACHE_TTL_SECONDS, 60 s).
PERIODIC = ("PREPARE ", 'SELECT "compliance_callingrule"')


@dataclass(frozen=True)
class Request:
    label: str
    method: str
    path: Callable[[int], str]
    data: dict | None = None
    htmx: bool = True


def _walk() -> list[Request]:
    step, line = (lambda call: f"/agent/calls/{call}/step/"), (lambda call: f"/agent/calls/{call}/line/")
    return [
        Request("back to step 1 (partial)", "POST", lambda call: f"/agent/calls/{call}/back/1/"),
        Request("cart screen at step 1", "GET", lambda call: f"/agent/calls/{call}/", htmx=False),
        Request("line partial", "GET", line),
        Request("step 1 -> 2 (partial)", "POST", step, {"answer": "reached"}),
        Request("step 2 -> 3 (partial)", "POST", step, {"friction": ["price", "shipping_costs"], "notes": "n"}),
        Request("step 3 -> 4 (partial)", "POST", step, {"offered": ["Free shipping"], "resolved": "yes"}),
        Request("step 4 -> 5 (partial)", "POST", step, {"used": ["Free returns for 60 days"]}),
        Request("cart screen at step 5", "GET", lambda call: f"/agent/calls/{call}/", htmx=False),
        Request("step 5 -> wrap-up (partial)", "POST", step, {}),
        Request("back to step 2 (partial)", "POST", lambda call: f"/agent/calls/{call}/back/2/"),
    ]


def _client(agent: console_data.ConsoleAgent):
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = agent.session_key
    return client


def _send(client, request: Request, call_id: int):
    headers = {"HX-Request": "true"} if request.htmx else {}
    if request.method == "GET":
        return client.get(request.path(call_id), headers=headers)
    return client.post(request.path(call_id), request.data or {}, headers=headers)


def _pass(client, agent: console_data.ConsoleAgent, record: dict | None) -> list[str]:
    """One walk; with `record`, the query count and time of each request are appended to it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problems = []
    for request in _walk():
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = _send(client, request, agent.call_id)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            problems.append(f"{agent.history_rows} rows, {request.label}: HTTP {response.status_code}")
        if record is not None:
            statements = [query["sql"] for query in captured.captured_queries]
            entry = record.setdefault(request.label, {"counts": [], "ms": [], "periodic": 0, "statements": []})
            entry["counts"].append(sum(1 for sql in statements if not sql.startswith(PERIODIC)))
            entry["periodic"] += len(statements) - entry["counts"][-1]
            entry["ms"].append(elapsed)
            entry["statements"] = entry["statements"] or [" ".join(sql.split())[:160] for sql in statements]
    return problems


def create_sized_calls(store_ids: list[int], *, at: datetime, history_agent_id: int) -> list[console_data.ConsoleAgent]:
    """One agent (of every store) per history size, with an open call whose cart has that much history."""
    agents = []
    for rows in HISTORY_SIZES:
        agent = queue_setup.create_agent(f"count-{rows}")
        console_data.make_specialists([agent])
        call = console_data.open_call(agent, at=at)
        if call is None:
            raise RuntimeError(f"the queue gave the query-count agent for {rows} history rows no callable cart")
        console_data.add_history(call, rows=rows, at=at, history_agent_id=history_agent_id, seed=rows)
        agents.append(console_data.console_agent(agent, call, rows))
    return agents


def count(agents: list[console_data.ConsoleAgent]) -> dict:
    """{"sizes": [...], "requests": {label: {rows: {"queries": n or [n...], "median_ms": x}}}, "problems": [...]}."""
    table: dict[str, dict] = {}
    problems: list[str] = []
    clients = [_client(agent) for agent in agents]
    records: list[dict] = [{} for _ in agents]
    for client, agent in zip(clients, agents, strict=True):
        problems += _pass(client, agent, None)
    for _ in range(PASSES):  # round the sizes in turn, so a busy moment of the machine does not fall on one size
        for client, agent, record in zip(clients, agents, records, strict=True):
            problems += _pass(client, agent, record)
    for agent, record in zip(agents, records, strict=True):
        for label, entry in record.items():
            counts = sorted(set(entry["counts"]))
            table.setdefault(label, {})[agent.history_rows] = {
                "queries": counts[0] if len(counts) == 1 else counts,
                "median_ms": round(statistics.median(entry["ms"]), 2), "periodic": entry["periodic"],
                "statements": entry["statements"]}
    return {"sizes": [agent.history_rows for agent in agents], "requests": table, "problems": problems}


def constant(counts: dict) -> tuple[bool, str]:
    """Whether every request took the same number of queries for every history size and in every pass."""
    grown = []
    for label, by_size in counts["requests"].items():
        values = [entry["queries"] for entry in by_size.values()]
        if any(isinstance(value, list) for value in values) or len(set(values)) > 1:
            grown.append(f"{label}: " + ", ".join(f"{rows} rows {entry['queries']}" for rows, entry in by_size.items()))
    return not grown, "; ".join(grown)


def explain_cart_screen(agent: console_data.ConsoleAgent) -> list[dict]:
    """The cart screen's statements for this agent's call, each run again under EXPLAIN (ANALYZE, BUFFERS) in a
    rolled-back transaction, slowest first: [{"sql", "ms", "plan"}]."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    client = _client(agent)
    with CaptureQueriesContext(connection) as captured:
        client.get(f"/agent/calls/{agent.call_id}/")
    explained = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "EXECUTE")):
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            document = cursor.fetchone()[0]
            document = document[0] if isinstance(document, list) else document
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            text = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
        explained.append({"sql": sql, "ms": round(document["Planning Time"] + document["Execution Time"], 3),
                          "execution_ms": document["Execution Time"], "plan": text})
    return sorted(explained, key=lambda entry: entry["ms"], reverse=True)
