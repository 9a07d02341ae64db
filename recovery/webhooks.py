"""Webhook endpoints for Shopify and WooCommerce.

Each verifies the signature on the raw body in constant time before parsing
anything, stores the delivery in the inbox, and answers at once; processing
happens in a Celery task. A delivery that fails verification is refused with
401 and stored nowhere; one that arrives while the database is unreachable is
refused with 503 and Retry-After, so the sender delivers it again later.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.exceptions import DATABASE_DOWN_RETRY_AFTER, DATABASE_UNAVAILABLE, request_refusal
from core.json_input import JsonInputError, json_parse
from integrations.woocommerce.payloads import order_dedup_key
from recovery import selectors
from recovery.models import Platform
from recovery.services import delivery_receive, signature_valid

logger = logging.getLogger(__name__)

SHOPIFY_HEADERS = (
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Event-Id",
    "X-Shopify-API-Version",
    "X-Shopify-Triggered-At",
)
WOOCOMMERCE_HEADERS = (
    "X-WC-Webhook-Source",
    "X-WC-Webhook-Topic",
    "X-WC-Webhook-Resource",
    "X-WC-Webhook-Event",
    "X-WC-Webhook-ID",
    "X-WC-Webhook-Delivery-ID",
)


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        return request.body
    except RequestDataTooBig:
        return None


def _too_large() -> JsonResponse:
    return _refuse(*request_refusal(RequestDataTooBig()))


def _is_json(request: HttpRequest) -> bool:
    return request.content_type in ("application/json", "text/json")


def _parse(body: bytes) -> tuple[object | None, str]:
    try:
        return json_parse(body), ""
    except JsonInputError as exc:
        return None, str(exc)


def database_down_is_503(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Answer 503 with Retry-After, not Django's 500 page, when the database cannot be reached.

    A webhook is stored in one statement, so a delivery refused this way left nothing behind; the sender's
    retry (same webhook or event id) is then stored once, like any redelivery.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except DATABASE_UNAVAILABLE as exc:
            logger.error("Webhook %s refused with 503: the database is unavailable (%s)", request.path,
                         type(exc).__name__)
            response = _refuse(503, "The database is unavailable; nothing was stored. Deliver it again later.")
            response["Retry-After"] = str(DATABASE_DOWN_RETRY_AFTER)
            return response

    return wrapped


def _kept(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.headers[name] for name in names if name in request.headers}


@csrf_exempt
@require_POST
@database_down_is_503
def shopify_webhook(request: HttpRequest) -> JsonResponse:
    shop_domain = request.headers.get("X-Shopify-Shop-Domain", "")
    store = selectors.webhook_store(shop_domain)
    body = _read_body(request)
    if body is None:
        return _too_large()
    secret = (store.webhook_secret or settings.SHOPIFY_API_SECRET) if store else ""
    if store is None or store.platform != Platform.SHOPIFY:
        logger.warning("Shopify webhook refused: unknown shop domain %r", shop_domain)
        return _refuse(401, "Unknown shop domain.")
    if not signature_valid(body=body, signature=request.headers.get("X-Shopify-Hmac-Sha256", ""), secret=secret):
        logger.warning("Shopify webhook refused: bad signature for %s", shop_domain)
        return _refuse(401, "Invalid webhook signature.")
    if not _is_json(request):
        return _refuse(415, "Webhook bodies must be JSON (Content-Type: application/json).")
    topic = request.headers.get("X-Shopify-Topic", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not topic or not webhook_id:
        return _refuse(400, "X-Shopify-Topic and X-Shopify-Webhook-Id headers are required.")
    _payload, malformed = _parse(body)
    received = delivery_receive(
        store_id=store.pk,
        platform=Platform.SHOPIFY,
        topic=topic,
        dedup_key=webhook_id,
        event_id=request.headers.get("X-Shopify-Event-Id", ""),
        headers=_kept(request, SHOPIFY_HEADERS),
        raw_body=body,
        malformed=malformed,
    )
    if malformed:
        return _refuse(400, f"Body is not valid JSON; delivery kept as failed ({malformed}).")
    return JsonResponse({"status": "duplicate" if received.duplicate else "accepted"})


def _woocommerce_store(request: HttpRequest):
    source = request.headers.get("X-WC-Webhook-Source", "")
    host = urlsplit(source).netloc or source
    return selectors.webhook_store(host.rstrip("/"))


@csrf_exempt
@require_POST
@database_down_is_503
def woocommerce_webhook(request: HttpRequest) -> JsonResponse:
    body = _read_body(request)  # first: request.POST of a multipart body would consume the stream; after it, the
    if body is None:           # form is parsed from the body read here
        return _too_large()
    if "X-WC-Webhook-Signature" not in request.headers and "webhook_id" in request.POST:
        # WooCommerce pings the URL, unsigned, when a webhook is created.
        return JsonResponse({"status": "pong"})
    store = _woocommerce_store(request)
    if store is None or store.platform != Platform.WOOCOMMERCE:
        logger.warning("WooCommerce webhook refused: unknown source %r", request.headers.get("X-WC-Webhook-Source"))
        return _refuse(401, "Unknown store.")
    signature = request.headers.get("X-WC-Webhook-Signature", "")
    if not signature_valid(body=body, signature=signature, secret=store.webhook_secret):
        logger.warning("WooCommerce webhook refused: bad signature for %s", store.shop_domain)
        return _refuse(401, "Invalid webhook signature.")
    if not _is_json(request):
        return _refuse(415, "Webhook bodies must be JSON (Content-Type: application/json).")
    payload, malformed = _parse(body)
    if not malformed and not isinstance(payload, dict):
        malformed = "body is not a JSON object"
    received = delivery_receive(
        store_id=store.pk,
        platform=Platform.WOOCOMMERCE,
        topic=request.headers.get("X-WC-Webhook-Topic", ""),
        dedup_key=order_dedup_key(payload) if not malformed else f"malformed:{uuid.uuid4()}",
        event_id="",
        headers=_kept(request, WOOCOMMERCE_HEADERS),
        raw_body=body,
        malformed=malformed,
    )
    if malformed:
        return _refuse(400, f"Body is not valid JSON; delivery kept as failed ({malformed}).")
    return JsonResponse({"status": "duplicate" if received.duplicate else "accepted"})
