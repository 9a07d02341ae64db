"""Tests: the same embedded PostgreSQL (never SQLite); Celery tasks run eagerly."""

from __future__ import annotations

from config.env import env_str
from config.settings.development import *  # noqa: F403

DEBUG = False
SUPPRESSION_HASH_KEY = "test-only-suppression-hash-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# No signing token unless a test sets one: development's would have the local SMS recorder post delivery reports to
# a server that is not running.
TWILIO_AUTH_TOKEN = ""  # nosec B105: no token at all
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "recovery.messaging.backends.LocalSmsBackend"
SMS_FILE_PATH = ""
VOICE_OFFLINE_SIMULATION = True
if "testserver" not in ALLOWED_HOSTS:  # noqa: F405
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# Two suites at once (two checkouts, or a long e2e run beside unit tests) each need their own database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", f"test_{DATABASES['default']['NAME']}")}  # noqa: F405
