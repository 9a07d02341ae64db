"""The webhook inbox: store every verified delivery once, then process it off the request.

Receiving is one statement: INSERT ... ON CONFLICT DO NOTHING, which also sends a
PostgreSQL notification. The sender gets its 200 within milliseconds, and a
redelivery (same webhook or event id) is recognised without a second row. The
inbox dispatcher (`manage.py dispatch_inbox`) listens for the notifications and
queues one Celery task per delivery, so no request pays for a broker round trip;
a beat sweep catches anything missed. Processing runs inside one transaction
holding the delivery's row lock; a failure keeps the delivery with its error.
"""

from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from compliance.services.erasure import shopify_privacy_request_apply
from core.json_input import json_parse
from integrations.shopify import payloads as shopify
from integrations.woocommerce import payloads as woocommerce
from recovery.models import CartEvent, Platform, Store, WebhookDelivery
from recovery.services.carts import cart_record_order, cart_upsert
from recovery.services.stores import store_confirm_uninstalled, store_record_uninstalled

logger = logging.getLogger(__name__)

INBOX_CHANNEL = "webhook_inbox"
# B608: only a constant channel name is formatted in.
_INSERT_SQL = f"""
WITH inserted AS (
    INSERT INTO recovery_webhookdelivery
        (platform, store_id, topic, dedup_key, event_id, headers, raw_body, received_at, status, attempts, outcome,
         error)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, '', %s)
    ON CONFLICT DO NOTHING
    RETURNING id, status
)
SELECT id, CASE WHEN status = 'pending' THEN pg_notify('{INBOX_CHANNEL}', id::text) END FROM inserted
"""  # nosec B608


_SETTLE_SQL = ("UPDATE recovery_webhookdelivery SET status = %s, outcome = %s, error = %s, processed_at = %s, "
               "attempts = %s WHERE id = %s")


@dataclass(frozen=True)
class Received:
    delivery_id: int | None

    @property
    def duplicate(self) -> bool:
        return self.delivery_id is None


def delivery_receive(
    *,
    store_id: int,
    platform: str,
    topic: str,
    dedup_key: str,
    event_id: str,
    headers: dict[str, str],
    raw_body: bytes,
    malformed: str = "",
) -> Received:
    """Store a verified delivery and announce it to the dispatcher; a redelivery stores nothing.

    A delivery whose body is not JSON (`malformed` says why) is kept as failed,
    for the record, and not announced.
    """
    status = WebhookDelivery.Status.FAILED if malformed else WebhookDelivery.Status.PENDING
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [platform, store_id, topic, dedup_key, event_id, json.dumps(headers), raw_body,
             timezone.now(), status, malformed],
        )
        row = cursor.fetchone()
    return Received(delivery_id=row[0] if row else None)


def deliveries_queue(delivery_ids: list[int]) -> int:
    """Queue the processing of deliveries that arrived together as one task (`process_webhook_deliveries_task`);
    returns how many were queued: all, or none (logged) when the broker is down, in which case they stay pending
    for the sweep. One message for several: a message's cost (publishing it, a worker taking it and
    acknowledging it) was as large as applying the delivery itself."""
    from recovery.tasks import process_webhook_deliveries_task

    if not delivery_ids:
        return 0
    try:
        process_webhook_deliveries_task.delay(list(delivery_ids))
    except (KombuOperationalError, OSError):
        logger.exception("Could not queue webhook deliveries %s; the pending sweep will process them", delivery_ids)
        return 0
    return len(delivery_ids)


def _dispatch(delivery: WebhookDelivery) -> tuple[str, str]:
    """Apply one delivery; returns (status, outcome)."""
    payload = json_parse(bytes(delivery.raw_body))
    store = delivery.store
    if delivery.platform == Platform.SHOPIFY:
        return _dispatch_shopify(store, delivery.topic, payload)
    if delivery.platform == Platform.WOOCOMMERCE:
        return _dispatch_woocommerce(store, delivery.topic, payload)
    return WebhookDelivery.Status.IGNORED, f"unknown platform {delivery.platform}"


def _dispatch_shopify(store: Store, topic: str, payload: dict) -> tuple[str, str]:
    """Apply one Shopify delivery. Its body is checked against the topic's documented shape first
    (`shopify.payload_check`): the signature covers the body only, so the topic header is believed only for a
    body that could be that topic's. A store's erasure also waits until the uninstall is known."""
    if topic not in shopify.KNOWN_TOPICS:
        return WebhookDelivery.Status.IGNORED, f"topic {topic} is not used"
    shopify.payload_check(topic, payload, shop_domain=store.shop_domain)
    source = CartEvent.Source.SHOPIFY
    if topic in shopify.CHECKOUT_TOPICS:
        data = shopify.checkout_data_from_shopify(payload, store_currency=store.currency)
        result = cart_upsert(store=store, data=data, source=source)
        return WebhookDelivery.Status.PROCESSED, result.outcome
    if topic in shopify.ORDER_TOPICS:
        order = shopify.order_data_from_shopify(payload, store_currency=store.currency)
        return _order_outcome(cart_record_order(store=store, order=order, source=source), order.counts_as_sale)
    if topic == shopify.APP_UNINSTALLED:
        store_record_uninstalled(store=store, at=timezone.now())
        return WebhookDelivery.Status.PROCESSED, f"app uninstalled: noted at {store.uninstalled_at:%Y-%m-%d %H:%M} UTC"
    known_by = store_confirm_uninstalled(store=store) if topic == shopify.SHOP_REDACT else ""
    outcome = shopify_privacy_request_apply(store=store, topic=topic, payload=payload)
    if topic == shopify.SHOP_REDACT:
        from recovery.tasks import erase_store_task

        transaction.on_commit(lambda: erase_store_task.delay(store.pk))
    return WebhookDelivery.Status.PROCESSED, f"{outcome} ({known_by})" if known_by else outcome


def _dispatch_woocommerce(store: Store, topic: str, payload: dict) -> tuple[str, str]:
    if topic in woocommerce.ORDER_TOPICS:
        order = woocommerce.order_data_from_woocommerce(payload, store_currency=store.currency)
        cart = cart_record_order(store=store, order=order, source=CartEvent.Source.WOOCOMMERCE)
        return _order_outcome(cart, order.counts_as_sale)
    return WebhookDelivery.Status.IGNORED, f"topic {topic} is not used"


def _order_outcome(cart, counts_as_sale: bool) -> tuple[str, str]:
    if not counts_as_sale:
        return WebhookDelivery.Status.IGNORED, "order is not a sale (cancelled, voided or unpaid)"
    if cart is None:
        return WebhookDelivery.Status.IGNORED, "no matching cart"
    return WebhookDelivery.Status.PROCESSED, f"cart {cart.pk} is {cart.status}"


@transaction.atomic
def delivery_process(*, delivery_id: int, replay: bool = False) -> WebhookDelivery | None:
    """Process one delivery exactly once; a failure is recorded on the delivery.

    Returns the delivery (check `.status`), or None if it is gone or another
    worker holds it. `replay` reprocesses a delivery whatever its status.
    """
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("store")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None
    settled = delivery.status not in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED)
    if settled and not replay:
        return delivery
    delivery.attempts += 1
    try:
        with transaction.atomic():
            delivery.status, delivery.outcome = _dispatch(delivery)
        delivery.error = ""
        delivery.processed_at = timezone.now()
    except Exception as exc:  # any failure must leave the delivery visible, never lost
        logger.warning("Webhook delivery %s failed: %s", delivery.pk, exc)
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.outcome = str(exc)[:255]
        delivery.error = traceback.format_exc()[-10000:]
    with connection.cursor() as cursor:  # a plain UPDATE: the ORM's save cost more than the statement
        cursor.execute(_SETTLE_SQL, [delivery.status, delivery.outcome, delivery.error, delivery.processed_at,
                                     delivery.attempts, delivery.pk])
    return delivery
