"""`make run`'s command, end to end: embedded services, web, a real Celery worker, clean stop.

Runs `manage.py run_product` in a separate embedded data folder, waits for
/healthz, sends a signed Shopify webhook that the real worker (not eager)
must process, then sends Ctrl-C and checks that nothing is left running.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import psycopg
import pytest

from config.settings.integrations.shopify import DEVELOPMENT_SHOPIFY_API_SECRET
from tests.payloads import shopify_checkout, shopify_headers

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200 and json.load(response) == {"database": "ok", "broker": "ok"}
    except OSError:
        return False


def delivery_status(data_dir: Path) -> str | None:
    socket_dir = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[4]
    with psycopg.connect(host=socket_dir, user="postgres", dbname="cart_recovery") as conn:
        row = conn.execute("SELECT status FROM recovery_webhookdelivery ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row and row[0] != "pending" else None


def processes_using(data_dir: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


def post_webhook(port: int) -> int:
    body = json.dumps(shopify_checkout(token="lifecycle-token")).encode()
    meta = shopify_headers(body, topic="checkouts/create", secret=DEVELOPMENT_SHOPIFY_API_SECRET)
    headers = {k.removeprefix("HTTP_").replace("_", "-"): v for k, v in meta.items()}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/shopify/", data=body, method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


BANNER_RULE = "=" * 72
# What each service prints once it is up: runserver, both Celery workers, beat.
START_UP_LINES = (r"Starting development server at", r"worker@\S+ ready\.", r"ingest@\S+ ready\.", r"beat: Starting")


def assert_one_banner_after_the_start_up_lines(output: str) -> None:
    """The banner (address, demo logins, how to stop) is printed once, after every service's start-up line."""
    assert output.count(BANNER_RULE) == 2, output[-5000:]
    start, end = output.index(BANNER_RULE), output.rindex(BANNER_RULE)
    banner = output[start:end]
    assert "Cart Recovery is running on http://127.0.0.1:" in banner
    assert "Demo logins" in banner and "supervisor  / demo-supervisor" in banner
    assert "Ctrl-C" in banner
    assert "Demo logins" not in output[:start] + output[end:]  # not also mid-log
    for line in START_UP_LINES:
        found = re.search(line, output)
        assert found and found.start() < start, f"{line!r} is not before the banner"


def test_run_product_serves_processes_with_a_real_worker_and_stops_cleanly(tmp_path):
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SHOPIFY_API_SECRET",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env["EMBEDDED_DATA_DIR"] = str(data_dir)
    port = free_port()
    product = subprocess.Popen([sys.executable, "manage.py", "run_product", f"--port={port}"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []  # read as it comes, so the test can wait for the banner before stopping the product

    def read() -> None:
        for line in product.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def stop() -> str:
        product.send_signal(signal.SIGINT)
        product.wait(timeout=60)
        reader.join(timeout=10)
        return "".join(lines)

    try:
        ready = wait_for(lambda: healthy(port) or product.poll() is not None, timeout=240, what="/healthz")
        assert ready and product.poll() is None, "run_product exited before it was ready"
        assert post_webhook(port) == 200
        status = wait_for(lambda: delivery_status(data_dir), timeout=60, what="the worker to process the delivery")
        assert status == "processed"
        # the banner comes once every service answers (the workers a ping), which may be after the web server
        wait_for(lambda: "".join(lines).count(BANNER_RULE) >= 2, timeout=180, what="the banner")
    except AssertionError as failure:
        output = stop()
        raise AssertionError(f"{failure}\n--- run_product output ---\n{output[-5000:]}") from None
    output = stop()

    assert product.returncode == 0, output
    assert_one_banner_after_the_start_up_lines(output)
    time.sleep(1)
    assert processes_using(data_dir) == []
    assert not healthy(port)
