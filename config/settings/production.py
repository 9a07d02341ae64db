"""Production: every secret and service comes from the environment, no defaults.

Refuses to start with the embedded services or a development secret, and
passes `manage.py check --deploy` without warnings.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.encryption import field_keys_check
from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import database_settings
from config.settings.integrations.shopify import DEVELOPMENT_SHOPIFY_API_SECRET


def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production (DEBUG=0).")
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
if SECRET_KEY.startswith("development-only") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters in production.")

# Never to be changed once set: every suppression of an erased person is a hash under this key.
SUPPRESSION_HASH_KEY = _required("SUPPRESSION_HASH_KEY")
if SUPPRESSION_HASH_KEY.startswith("development-only") or len(SUPPRESSION_HASH_KEY) < 32:
    raise ImproperlyConfigured("SUPPRESSION_HASH_KEY must be a random value of at least 32 characters in production.")

DATABASE_URL = _required("DATABASE_URL")
DATABASES = database_settings(DATABASE_URL)
REDIS_URL = _required("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL

SHOPIFY_API_SECRET = _required("SHOPIFY_API_SECRET")
if SHOPIFY_API_SECRET == DEVELOPMENT_SHOPIFY_API_SECRET:
    raise ImproperlyConfigured("SHOPIFY_API_SECRET is the development default; set the app's real secret.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Encrypts stores' webhook secrets and Admin API tokens at rest: one or more Fernet keys, comma-separated, the first
# encrypts (config/encryption.py). Never dropped while a value it encrypted remains.
FIELD_ENCRYPTION_KEY = _required("FIELD_ENCRYPTION_KEY")
field_keys_check(FIELD_ENCRYPTION_KEY, production=True)
