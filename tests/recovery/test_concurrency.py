"""Concurrent deliveries of one checkout: no duplicate cart, no lost update.

These run against the real PostgreSQL with real transactions (transactional_db),
one thread and one connection per request or worker, as gunicorn workers and
Celery workers would.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from recovery.models import Cart, Customer, WebhookDelivery
from recovery.services import delivery_process
from recovery.services.dispatcher import dispatch_once, listening_connection
from tests.payloads import post_shopify, shopify_checkout

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls: list) -> list:
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_updates_of_one_checkout_make_one_cart_with_the_newest_state(shopify_store):
    versions = [
        shopify_checkout(updated_at=f"2026-11-20T10:{minute:02d}:00-05:00", total_price=f"{minute}.00")
        for minute in range(10, 22)
    ]

    responses = run_concurrently([lambda p=p: post_shopify(Client(), p) for p in versions])
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
    processed = run_concurrently([lambda pk=pk: delivery_process(delivery_id=pk).status for pk in ids])

    assert [r.status_code for r in responses] == [200] * len(versions)
    assert len(ids) == len(versions)
    assert set(processed) == {WebhookDelivery.Status.PROCESSED}
    cart = Cart.objects.get()
    assert cart.total_value == Decimal("21.00")
    assert Customer.objects.count() == 1


def test_concurrent_redeliveries_of_one_webhook_are_stored_once(shopify_store):
    payload = shopify_checkout()

    responses = run_concurrently(
        [lambda: post_shopify(Client(), payload, webhook_id="same-delivery", event_id="same-event")] * 8
    )

    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["accepted"] + ["duplicate"] * 7
    assert WebhookDelivery.objects.count() == 1


def test_dispatcher_queues_each_new_delivery_from_its_notification(shopify_store):
    # given the dispatcher listening
    pg = listening_connection()
    try:
        # when two deliveries arrive (and one redelivery, which announces nothing)
        client = Client()
        post_shopify(client, shopify_checkout(), webhook_id="a")
        post_shopify(client, shopify_checkout(), webhook_id="a")
        post_shopify(client, shopify_checkout(token="other-token"), webhook_id="b")
        queued = dispatch_once(pg, timeout=2)
    finally:
        pg.close()

    # then each was queued once and processed by the (eager) task
    assert queued == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.PROCESSED}
    assert Cart.objects.count() == 2
