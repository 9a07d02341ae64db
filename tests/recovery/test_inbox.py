"""The inbox keeps every verified delivery: retries, the pending sweep, replay from the admin."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from recovery.models import Cart, WebhookDelivery
from recovery.services import delivery_process
from recovery.tasks import DELIVERY_MAX_RETRIES, process_pending_deliveries_task, process_webhook_delivery_task
from tests.payloads import post_shopify, shopify_checkout

pytestmark = pytest.mark.django_db


def make_delivery(store, payload: dict, *, status=WebhookDelivery.Status.PENDING, minutes_ago: int = 0, key="d-1"):
    return WebhookDelivery.objects.create(
        platform="shopify", store=store, topic="checkouts/update", dedup_key=key, headers={},
        raw_body=json.dumps(payload).encode(), received_at=timezone.now() - timedelta(minutes=minutes_ago),
        status=status,
    )


def test_failing_delivery_asks_for_a_retry_and_stays_failed_with_its_error(shopify_store):
    delivery = make_delivery(shopify_store, shopify_checkout(total_price="NaN-ish"))

    with pytest.raises(Retry):
        process_webhook_delivery_task.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts >= 1
    assert "total_price" in delivery.error


def test_last_retry_gives_up_and_keeps_the_delivery_failed(shopify_store):
    delivery = make_delivery(shopify_store, shopify_checkout(total_price="NaN-ish"))

    result = process_webhook_delivery_task.apply(args=[delivery.pk], retries=DELIVERY_MAX_RETRIES)

    assert result.state == "SUCCESS"
    assert result.result == WebhookDelivery.Status.FAILED


def test_broker_down_keeps_the_delivery_pending_and_the_sweep_processes_it_later(client, shopify_store, monkeypatch,
                                                                                 caplog):
    from recovery.services.inbox import deliveries_queue
    from recovery.tasks import process_webhook_deliveries_task

    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to broker")

    monkeypatch.setattr(process_webhook_deliveries_task, "delay", broker_down)
    response = post_shopify(client, shopify_checkout())
    with caplog.at_level(logging.ERROR):
        queued = deliveries_queue([WebhookDelivery.objects.get().pk])

    assert response.status_code == 200
    assert queued == 0
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING
    assert "pending sweep will process them" in caplog.text

    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert process_pending_deliveries_task() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED
    assert Cart.objects.count() == 1


def test_sweep_leaves_fresh_deliveries_to_their_own_task(shopify_store):
    make_delivery(shopify_store, shopify_checkout(), minutes_ago=0)

    assert process_pending_deliveries_task() == 0


def test_processed_delivery_is_not_applied_twice(shopify_store):
    delivery = make_delivery(shopify_store, shopify_checkout())
    process_webhook_delivery_task.apply(args=[delivery.pk])
    process_webhook_delivery_task.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.attempts == 1
    # Created once; the sample checkout is long quiet, so it is also abandoned at once (once).
    assert sorted(Cart.objects.get().events.values_list("kind", flat=True)) == ["abandoned", "created"]


def test_admin_replays_failed_deliveries(client, admin_user, shopify_store):
    delivery = make_delivery(shopify_store, shopify_checkout(), status=WebhookDelivery.Status.FAILED)
    client.force_login(admin_user)

    response = client.post("/admin/recovery/webhookdelivery/",
                           {"action": "replay", "_selected_action": [delivery.pk]}, follow=True)

    assert response.status_code == 200
    assert b"Replayed: 1 processed." in response.content
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert Cart.objects.count() == 1


def test_refused_deliveries_are_logged(client, shopify_store, caplog):
    with caplog.at_level(logging.WARNING, logger="recovery.webhooks"):
        post_shopify(client, shopify_checkout(), secret="wrong")
        post_shopify(client, shopify_checkout(), shop="nobody.myshopify.com")

    assert "bad signature for demo-store.myshopify.com" in caplog.text
    assert "unknown shop domain 'nobody.myshopify.com'" in caplog.text


def test_admin_inbox_cannot_be_edited_or_deleted(client, admin_user, shopify_store):
    delivery = make_delivery(shopify_store, shopify_checkout())
    client.force_login(admin_user)

    page = client.get(f"/admin/recovery/webhookdelivery/{delivery.pk}/change/")
    edit = client.post(f"/admin/recovery/webhookdelivery/{delivery.pk}/change/", {"topic": "x"})
    delete = client.get(f"/admin/recovery/webhookdelivery/{delivery.pk}/delete/")

    assert page.status_code == 200
    assert b"Trailhead E-Bike" in page.content  # the raw body is readable
    assert edit.status_code == 403
    assert delete.status_code == 403


def test_deliveries_queued_together_are_each_processed_and_a_failure_is_retried_on_its_own(shopify_store):
    # given: the dispatcher queued three deliveries as one task; the first cannot be applied
    from recovery.tasks import process_webhook_deliveries_task

    broken = make_delivery(shopify_store, shopify_checkout(total_price="NaN-ish"), key="broken")
    good = [make_delivery(shopify_store, shopify_checkout(token=f"token-{n}"), key=f"good-{n}") for n in range(2)]

    # when: (eagerly, the failed delivery's own retry task runs at once and asks for its next retry)
    with pytest.raises(Retry):
        process_webhook_deliveries_task.apply(args=[[broken.pk, *(delivery.pk for delivery in good)]])

    # then
    statuses = dict(WebhookDelivery.objects.values_list("dedup_key", "status"))
    assert statuses == {"broken": WebhookDelivery.Status.FAILED, "good-0": WebhookDelivery.Status.PROCESSED,
                        "good-1": WebhookDelivery.Status.PROCESSED}
    broken.refresh_from_db()
    assert broken.attempts == 2  # in the batch, then by its own retry task
    assert Cart.objects.count() == 2


@pytest.mark.parametrize("depth", [65, 100_000])
def test_a_stored_body_nested_too_deep_fails_with_the_reason(shopify_store, depth):
    # given: a delivery stored as pending before the webhook refused such bodies
    delivery = make_delivery(shopify_store, {})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(raw_body=b"[" * depth + b"]" * depth)

    # when
    processed = delivery_process(delivery_id=delivery.pk)

    # then
    assert processed.status == WebhookDelivery.Status.FAILED
    assert processed.outcome == "JSON nested deeper than 64 levels is refused."
    assert not Cart.objects.exists()
