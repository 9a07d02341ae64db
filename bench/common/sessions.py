"""Signed-in users over HTTP, as the console and dashboards benchmarks drive them, and gunicorn's own timing.

Each simulated user holds a session (and CSRF) cookie and one connection, reopened as needed (gunicorn's sync
workers close it after every response, so client latency includes a local TCP connect). Server time comes from
gunicorn's access log (`ACCESS_LOG_FORMAT`: the `X-Bench` tag, the status and `%(D)s`, microseconds from the parsed
request to the response written), so it leaves out the wait in the listen backlog and the client's own share of
the cores. A tag reads `<phase>.<kind>.<request_name>`.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.common.loadgen import percentile

ACCESS_LOG_FORMAT = "%({x-bench}i)s %(s)s %(D)s"


@dataclass
class PhaseRecord:
    """What the client threads of one phase measured (lists appended to from many threads, GIL-safe)."""

    name: str
    tag: str  # the X-Bench prefix of this phase's requests
    users: int
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict = field(default_factory=dict)

    def add(self, kind: str, name: str, status: int, latency_ms: float, body: bytes = b"") -> bool:
        """Record one request; a status other than 200 is an error of the phase."""
        self.latencies_ms[kind].append(latency_ms)
        if status != 200:
            self.errors.append(f"{name}: HTTP {status} {body[:80]!r}")
        return status == 200


class SessionClient:
    """One user's HTTP client: the session cookie (and the CSRF cookie and header when given) on every request."""

    def __init__(self, host: str, port: int, session_cookie: str, session_key: str, *, csrf_token: str = "",
                 timeout: float = 30.0) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)
        cookie = f"{session_cookie}={session_key}"
        self.headers = {"Cookie": cookie, "Host": host}
        if csrf_token:
            self.headers.update({"Cookie": f"{cookie}; csrftoken={csrf_token}", "X-CSRFToken": csrf_token})

    def request(self, method: str, path: str, tag: str, *, htmx: bool = False,
                form: dict | None = None) -> tuple[int, float, bytes]:
        """(HTTP status, client latency in ms, body); status 0 when the connection failed."""
        headers = {**self.headers, "X-Bench": tag}
        body = None
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST":
            body = urlencode(form or {}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            return 0, (time.perf_counter() - started) * 1000, str(exc).encode()
        return response.status, (time.perf_counter() - started) * 1000, content

    def close(self) -> None:
        self.connection.close()


def run_together(bodies: list[Callable[[], None]]) -> float:
    """Each body in a thread of its own, all released at the same instant; the seconds from the release until the
    last one ended (requests under way when a phase ends are awaited)."""
    barrier = threading.Barrier(len(bodies) + 1)

    def released(body: Callable[[], None]) -> None:
        barrier.wait()
        body()

    threads = [threading.Thread(target=released, args=(body,), daemon=True) for body in bodies]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def request_tag(phase_tag: str, kind: str, name: str) -> str:
    return f"{phase_tag}.{kind}.{name.replace(' ', '_')}"


def server_times(access_log: Path, tag: str) -> dict[str, dict[str, list[float]]]:
    """{kind: {request name: [server ms...]}} of the phase's requests with status 200, from gunicorn's access log."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith(f"{tag}.") or parts[1] != "200":
            continue
        _, kind, name = parts[0].split(".", 2)
        found[kind][name.replace("_", " ")].append(int(parts[2]) / 1000)
    return found


def stats(values: list[float], digits: int = 2) -> dict:
    ordered = sorted(values)
    return {"count": len(ordered), "p50_ms": round(percentile(ordered, 50), digits),
            "p95_ms": round(percentile(ordered, 95), digits), "p99_ms": round(percentile(ordered, 99), digits),
            "max_ms": round(ordered[-1], digits) if ordered else 0.0}


def summary(record: PhaseRecord, access_log: Path, kinds: tuple[str, ...]) -> dict:
    """Per kind: server time and client latency percentiles and requests/s, and the server time per request name."""
    server = server_times(access_log, record.tag)
    by_kind = {}
    for kind in kinds:
        by_name = server.get(kind, {})
        every = [value for values in by_name.values() for value in values]
        client = record.latencies_ms.get(kind, [])
        by_kind[kind] = {"server": stats(every), "client": stats(client),
                         "per_second": round(len(client) / record.seconds, 1) if record.seconds else 0.0,
                         "server_by_request": {name: stats(values) for name, values in sorted(by_name.items())}}
    total = sum(len(values) for values in record.latencies_ms.values())
    return {"name": record.name, "tag": record.tag, "users": record.users, "seconds": round(record.seconds, 2),
            "requests": total, "per_second": round(total / record.seconds, 1) if record.seconds else 0.0,
            "kinds": by_kind, "errors": len(record.errors), "error_samples": record.errors[:5], "cpu": record.cpu}
