"""Settings for the gunicorn the benchmark starts: development settings, served like production.

DEBUG is off (DEBUG keeps every SQL query in memory and would slow each
request), logging only warnings (no per-request log lines), and the URLs add
the floor view. DATABASE_URL and REDIS_URL come from the environment that
the benchmark sets, so the workers never start embedded services themselves.
"""

from __future__ import annotations

from config.settings.development import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.common.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
