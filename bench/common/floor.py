"""The floor: the least work a webhook endpoint can do and still be correct about receipt.

It verifies the signature on the raw body and stores the body with one INSERT,
nothing else (no store lookup, no JSON parsing, no dedup, no queueing). Its
throughput, measured in the same run as the real endpoint, is the yardstick the
ingestion target is stated against.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.common import BENCH_WEBHOOK_SECRET
from integrations.signatures import signature_valid

FLOOR_TABLE = "bench_floor_delivery"
CREATE_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (
    id bigserial PRIMARY KEY,
    webhook_id text NOT NULL,
    body bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)
"""
_INSERT_SQL = f"INSERT INTO {FLOOR_TABLE} (webhook_id, body) VALUES (%s, %s)"


@csrf_exempt
@require_POST
def floor_view(request: HttpRequest) -> JsonResponse:
    body = request.body
    signature = request.headers.get("X-Shopify-Hmac-Sha256", "")
    if not signature_valid(body=body, signature=signature, secret=BENCH_WEBHOOK_SECRET):
        return JsonResponse({"error": "Invalid webhook signature."}, status=401)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [request.headers.get("X-Shopify-Webhook-Id", ""), body])
    return JsonResponse({"status": "accepted"})
