"""What every benchmark shares: where results go, and the bench store's name and webhook secret.

Results go to bench/results/ (git-ignored), or to BENCH_RESULTS_DIR when it is set: the smoke test sets it to a
temporary folder so `make test` leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or REPO_ROOT / "bench" / "results")

# The store the benchmarks create, and the secret that signs its webhooks. Not a real secret:
# it only ever signs bench traffic on 127.0.0.1 against the bench store.
BENCH_SHOP_DOMAIN = "bench-store.myshopify.com"
BENCH_WEBHOOK_SECRET = "bench-webhook-secret-not-for-production"
