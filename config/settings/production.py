"""Production: every secret and service comes from the environment, no defaults.

Refuses to start with the embedded services, a development or guessable secret, or an address that would put
127.0.0.1 in customers' links or let a request's Host header choose the URL Twilio signatures are checked
against; never falls back silently to the local recorders. Passes `manage.py check --deploy` without warnings.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, secret_check
from config.settings.base import *  # noqa: F403
from config.settings.base import database_settings
from config.settings.integrations.shopify import DEVELOPMENT_SHOPIFY_API_SECRET
from config.settings.integrations.twilio import (
    SMS_BACKENDS,
    TWILIO_ACCOUNT_SID,
    TWILIO_API_KEY,
    TWILIO_API_SECRET,
    TWILIO_AUTH_TOKEN,
    TWILIO_TWIML_APP_SID,
    VOICE_BACKENDS,
    sms_backend_path,
)
from core.encryption import field_keys_check

# Settings load before logging is configured: these lines reach stderr through Python's last-resort handler.
logger = logging.getLogger("config.settings.production")


def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production (DEBUG=0).")
    return value


def _public_address(name: str, value: str) -> str:
    """An absolute http(s) address of this deployment that is not a loopback one (customers' links use it)."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if parts.scheme not in ("http", "https") or not host or loopback:
        raise ImproperlyConfigured(f"{name} must be the public address of this deployment in production "
                                   f"(e.g. https://recovery.example.com), got {value!r}.")
    return value


DEBUG = False
SECRET_KEY = secret_check("SECRET_KEY", _required("SECRET_KEY"), min_length=50)

# Never to be changed once set: every suppression of an erased person is a hash under this key.
SUPPRESSION_HASH_KEY = secret_check("SUPPRESSION_HASH_KEY", _required("SUPPRESSION_HASH_KEY"), min_length=32)

DATABASE_URL = _required("DATABASE_URL")
DATABASES = database_settings(DATABASE_URL)
REDIS_URL = _required("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL

SHOPIFY_API_SECRET = _required("SHOPIFY_API_SECRET")
if SHOPIFY_API_SECRET == DEVELOPMENT_SHOPIFY_API_SECRET:
    raise ImproperlyConfigured("SHOPIFY_API_SECRET is the development default; set the app's real secret.")
secret_check("SHOPIFY_API_SECRET", SHOPIFY_API_SECRET, min_length=32)

# The test client's host ("testserver") is for tests only.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
if "testserver" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must not include testserver in production (it is the test client's).")

# Twilio signs the URL it called: with Twilio configured, signatures are checked against PUBLIC_BASE_URL, never
# against an address built from the request's Host header (which the sender chooses).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
if PUBLIC_BASE_URL:
    _public_address("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
elif TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN:
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be set in production when Twilio is configured "
                               "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN): webhook signatures are checked against it.")
# Unsubscribe links in real emails: never the development default, 127.0.0.1.
LINK_BASE_URL = PUBLIC_BASE_URL or env_str("LINK_BASE_URL", "")
if not LINK_BASE_URL:
    raise ImproperlyConfigured("LINK_BASE_URL (or PUBLIC_BASE_URL) must be set in production (DEBUG=0): "
                               "unsubscribe links in emails point at it.")
_public_address("LINK_BASE_URL", LINK_BASE_URL)

# No silent recorder: without credentials texts are refused, unless SMS_BACKEND=local chose the recorder.
SMS_BACKEND = sms_backend_path(env_str("SMS_BACKEND", ""),
                               fallback="twilio" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN else "unconfigured")
_sms_alias = {path: alias for alias, path in SMS_BACKENDS.items()}.get(SMS_BACKEND, "")
if _sms_alias == "local":
    logger.warning("SMS_BACKEND=local: texts are recorded (SMS_FILE_PATH), not sent to anyone.")
elif _sms_alias == "unconfigured":
    logger.warning("Texts will be refused: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or SMS_BACKEND=local.")
# Calls likewise: the offline simulation only when VOICE_BACKEND=offline chose it.
VOICE_BACKEND = env_str("VOICE_BACKEND", "")
if VOICE_BACKEND not in VOICE_BACKENDS:
    raise ImproperlyConfigured(f"VOICE_BACKEND must be one of {', '.join(VOICE_BACKENDS)}, got {VOICE_BACKEND!r}.")
VOICE_OFFLINE_SIMULATION = VOICE_BACKEND == "offline"
if not all((TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET, TWILIO_TWIML_APP_SID)):
    logger.warning("VOICE_BACKEND=offline: calls are simulated, no one is dialed." if VOICE_OFFLINE_SIMULATION else
                   "Calls will be refused: set TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID (with "
                   "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), or VOICE_BACKEND=offline.")

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
# encrypts (core/encryption.py). Never dropped while a value it encrypted remains.
FIELD_ENCRYPTION_KEY = _required("FIELD_ENCRYPTION_KEY")
field_keys_check(FIELD_ENCRYPTION_KEY, production=True)
