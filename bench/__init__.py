"""The ingestion benchmark (`make bench`): a load generator plus the Django pieces it serves.

`bench.settings` and `bench.urls` add a floor view (`bench.floor`) next to the
project's own URLs, so the floor and the real webhook endpoint run in the same
gunicorn process with the same middleware; `bench/ingest.py` drives both.
"""

from __future__ import annotations

# The store the benchmark creates, and the secret that signs its webhooks. Not a real secret:
# it only ever signs bench traffic on 127.0.0.1 against the bench store.
BENCH_SHOP_DOMAIN = "bench-store.myshopify.com"
BENCH_WEBHOOK_SECRET = "bench-webhook-secret-not-for-production"
