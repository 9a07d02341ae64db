"""Concurrent deliveries of one checkout: no duplicate cart, no lost update.

These run against the real PostgreSQL with real transactions (transactional_db),
one thread and one connection per delivery, as two gunicorn workers would.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from recovery.models import Cart, Customer, WebhookDelivery
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

    assert [r.status_code for r in responses] == [200] * len(versions)
    assert WebhookDelivery.objects.count() == len(versions)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookDelivery.Status.PROCESSED}
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
    assert Cart.objects.count() == 1
