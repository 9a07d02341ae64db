"""Development: embedded PostgreSQL and Redis when no URLs are given."""

from __future__ import annotations

from config.embedded import VAR_DIR, embedded_database_url, embedded_redis_url
from config.env import env_bool, env_list, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import database_settings
from core.encryption import DEVELOPMENT_FIELD_ENCRYPTION_KEY

DEBUG = env_bool("DEBUG", True)
# Local stores (http://localhost:8000/...) may hand out plain-http recovery links; base and production refuse them.
RECOVERY_LINK_ALLOW_HTTP = env_bool("RECOVERY_LINK_ALLOW_HTTP", DEBUG)
SECRET_KEY = env_str("SECRET_KEY", "development-only-secret-key-do-not-use-in-production")
# Keys the hashes that keep erased people suppressed (compliance.models.Suppression); production requires its own.
SUPPRESSION_HASH_KEY = env_str("SUPPRESSION_HASH_KEY", "development-only-suppression-hash-key")

# Django's test client calls itself "testserver" (a shell, a script); production never accepts that host.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

DATABASE_URL = env_str("DATABASE_URL") or embedded_database_url()
DATABASES = database_settings(DATABASE_URL)

REDIS_URL = env_str("REDIS_URL") or embedded_redis_url()
CELERY_BROKER_URL = REDIS_URL

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from the app folders (no collectstatic in development).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Recovery emails and texts land in files under var/outbox unless real providers are configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "outbox" / "email")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "outbox" / "sms.jsonl"))

# Encrypts stores' webhook secrets and Admin API tokens at rest (core/encryption.py); production requires its own.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", DEVELOPMENT_FIELD_ENCRYPTION_KEY)

# Signs the local SMS recorder's delivery reports to our own status view (as Twilio signs its callbacks), so the
# demo's texts come back delivered; a real Twilio account's token replaces it.
TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN or "development-only-twilio-auth-token"  # noqa: F405
