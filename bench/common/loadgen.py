"""The two load generators: wrk at full speed, and a Python client at a fixed rate.

Both report latency percentiles in milliseconds and count every answer that is
not 2xx, every socket error and every "duplicate" answer. What went out is
known exactly (wrk: each thread's count of requests sent; the paced client:
every request), so the inbox can be checked against it afterwards.
"""

from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common.payloads import Delivery

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
WRK_TIMEOUT_SECONDS = 5
PACED_CLIENT_THREADS = 16
PACED_TIMEOUT_SECONDS = 10


@dataclass
class PhaseResult:
    """One load phase, as it goes into the table and the JSON file."""

    name: str
    path: str
    sent: int
    answered: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    duplicates_answered: int
    details: dict = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: run `make bench` (it installs it) or `apt-get install -y wrk`.")
    return found


def run_wrk(name: str, base_url: str, path: str, requests_file: Path, *,
            connections: int, duration: int) -> PhaseResult:
    """wrk with bench/common/wrk.lua, which cycles through the pre-signed requests in `requests_file`."""
    threads = min(2, connections)
    command = [
        wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={WRK_TIMEOUT_SECONDS}s",
        "-s", str(WRK_SCRIPT), f"{base_url}{path}", "--", str(requests_file), str(threads),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((row for row in completed.stdout.splitlines() if row.startswith("WRK_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    socket_errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return PhaseResult(
        name=name, path=path, sent=raw["sent"], answered=raw["answered"], seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000, p95_ms=raw["p95_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        errors=raw["non2xx"] + socket_errors, duplicates_answered=raw["duplicates"],
        details={"wrk": raw, "threads": threads, "connections": connections},
    )


def wrk_sent_deliveries(deliveries: list[Delivery], per_thread_sent: list[int]) -> list[Delivery]:
    """The deliveries wrk sent, in the order bench/common/wrk.lua hands lines to its threads (with repeats)."""
    threads = len(per_thread_sent)
    sent: list[Delivery] = []
    for thread, count in enumerate(per_thread_sent):
        share = deliveries[thread::threads]
        sent.extend(share[index % len(share)] for index in range(count))
    return sent


def wrk_pool_exhausted(deliveries: list[Delivery], per_thread_sent: list[int]) -> bool:
    threads = len(per_thread_sent)
    return any(count > len(deliveries[thread::threads]) for thread, count in enumerate(per_thread_sent))


@dataclass(frozen=True)
class Answer:
    """One paced request: when it was due, how long after that it was answered, and what came back."""

    index: int
    latency_s: float
    status: int  # 0: no HTTP answer (socket error or timeout)
    body_status: str


def _post(conn: http.client.HTTPConnection, path: str, delivery: Delivery) -> tuple[int, str]:
    try:
        conn.request("POST", path, body=delivery.body, headers=delivery.headers())
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        return 0, ""
    try:
        return response.status, str(json.loads(payload).get("status", ""))
    except ValueError:
        return response.status, ""


def _paced_worker(host: str, port: int, path: str, deliveries: list[Delivery], rate: float, start: float,
                  counter: itertools.count, answers: list[Answer]) -> None:
    """One client thread: take the next due request, wait for its time, send it on a kept connection."""
    conn = http.client.HTTPConnection(host, port, timeout=PACED_TIMEOUT_SECONDS)
    try:
        for index in counter:
            if index >= len(deliveries):
                return
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            status, body_status = _post(conn, path, deliveries[index])
            answers.append(Answer(index, time.perf_counter() - due, status, body_status))
    finally:
        conn.close()


def run_paced(name: str, host: str, port: int, path: str, deliveries: list[Delivery], *, rate: float,
              start_at: float | None = None, threads: int = PACED_CLIENT_THREADS) -> PhaseResult:
    """Send deliveries[i] at start + i/rate from a pool of `threads` client threads (each on its own kept
    connection); an open-loop load while the server answers within threads/rate seconds. The start is
    `start_at` (a `time.time()` instant) when given, else 0.2 s from now.

    Latency runs from the time a request was due, not from when a thread got to
    send it, so a slow server is not hidden by the client waiting for it
    (coordinated omission).
    """
    answers: list[Answer] = []
    counter = itertools.count()  # next() on it is atomic under the GIL: each index is taken once
    start = time.perf_counter() + (0.2 if start_at is None else max(0.0, start_at - time.time()))
    workers = [
        threading.Thread(target=_paced_worker, args=(host, port, path, deliveries, rate, start, counter, answers))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    return _paced_result(name, path, deliveries, answers, seconds, rate, threads)


def _paced_result(name: str, path: str, deliveries: list[Delivery], answers: list[Answer],
                  seconds: float, rate: float, threads: int) -> PhaseResult:
    latencies = sorted(answer.latency_s * 1000 for answer in answers)
    statuses = [answer.body_status for answer in answers]
    return PhaseResult(
        name=name, path=path, sent=len(deliveries), answered=sum(1 for a in answers if a.status), seconds=seconds,
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95), p99_ms=percentile(latencies, 99),
        errors=sum(1 for a in answers if not 200 <= a.status <= 299),
        duplicates_answered=statuses.count("duplicate"),
        details={"rate": rate, "client_threads": threads, "accepted_answered": statuses.count("accepted"),
                 "max_ms": latencies[-1] if latencies else 0.0,
                 "statuses": {str(code): count for code, count in sorted(Counter(a.status for a in answers).items())}},
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


class PacedSender:
    """The paced client in a process of its own, as the stores are systems of their own: its threads never
    wait for the interpreter lock behind the load generator's other clients (the soak's 50 agents parse every
    page they get), which would slow the stores below their rate and pass for the server's doing.

    Start it early (the interpreter and imports take a moment); `send` hands it the deliveries and the instant
    to begin, `result` waits for the phase's figures."""

    def __init__(self, name: str, host: str, port: int, path: str, *, threads: int = PACED_CLIENT_THREADS) -> None:
        context = multiprocessing.get_context("spawn")
        self._jobs, self._results = context.Queue(), context.Queue()
        self._process = context.Process(target=_sender_main,
                                        args=(name, host, port, path, threads, self._jobs, self._results),
                                        name=f"bench-{name}", daemon=True)
        self._process.start()

    def send(self, deliveries: list[Delivery], *, rate: float, start_at: float) -> None:
        self._jobs.put((deliveries, rate, start_at))

    def result(self, timeout: float) -> PhaseResult:
        try:
            return self._results.get(timeout=timeout)
        finally:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()


def _sender_main(name: str, host: str, port: int, path: str, threads: int, jobs, results) -> None:
    deliveries, rate, start_at = jobs.get()
    results.put(run_paced(name, host, port, path, deliveries, rate=rate, start_at=start_at, threads=threads))
