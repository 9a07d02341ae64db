"""Production settings refuse embedded services and default secrets, and pass check --deploy."""

from __future__ import annotations

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from core.encryption import DEVELOPMENT_FIELD_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
# What the production settings read; the tests set these themselves, never the environment they run in.
CONTROLLED = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SHOPIFY_API_SECRET", "DEBUG",
              "SUPPRESSION_HASH_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS", "PUBLIC_BASE_URL", "LINK_BASE_URL",
              "SMS_BACKEND", "VOICE_BACKEND", "FIELD_ENCRYPTION_KEY"}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": secrets.token_hex(16)}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CONTROLLED and not k.startswith("TWILIO_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def production_env() -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "SHOPIFY_API_SECRET": secrets.token_hex(16),
        "SUPPRESSION_HASH_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "recovery.example.com",
        "LINK_BASE_URL": "https://recovery.example.com",
    }


def production_settings(env: dict[str, str], *names: str) -> tuple[dict, str]:
    """The named production settings as the process sees them (reprs), and what it logged at start-up."""
    code = ("from django.conf import settings; from integrations.twilio.voice import voice_mode; "
            f"print(repr({{name: getattr(settings, name) for name in {list(names)!r}}})); print(repr(voice_mode()))")
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    values_line, mode_line = result.stdout.strip().splitlines()[-2:]
    return {**ast.literal_eval(values_line), "voice_mode": ast.literal_eval(mode_line)}, result.stderr


def test_production_passes_check_deploy_without_warnings(production_env):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SHOPIFY_API_SECRET",
                                     "SUPPRESSION_HASH_KEY", "FIELD_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_its_secrets_and_services(production_env, missing):
    del production_env[missing]

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_the_development_secret_key(production_env):
    production_env["SECRET_KEY"] = "development-only-secret-key-do-not-use-in-production"

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert "SECRET_KEY must be a random value" in result.stderr


def test_production_refuses_the_development_shopify_secret(production_env):
    from config.settings.integrations.shopify import DEVELOPMENT_SHOPIFY_API_SECRET

    production_env["SHOPIFY_API_SECRET"] = DEVELOPMENT_SHOPIFY_API_SECRET

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert "development default" in result.stderr


@pytest.mark.parametrize(("key", "message"), [
    (DEVELOPMENT_FIELD_ENCRYPTION_KEY, "FIELD_ENCRYPTION_KEY holds the development key"),
    ("not-a-fernet-key", "FIELD_ENCRYPTION_KEY's key 1 is not a Fernet key"),
])
def test_production_refuses_a_development_or_malformed_field_encryption_key(production_env, key, message):
    production_env["FIELD_ENCRYPTION_KEY"] = f"{key}"

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert message in result.stderr


def test_tests_run_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.parametrize(("name", "value", "why"), [
    ("SECRET_KEY", "a" * 64, "repeats a pattern of 1 character"),
    ("SECRET_KEY", "abcdefghijklmnopqrstuvwxyz" * 3, "repeats a pattern of 26 characters"),
    ("SUPPRESSION_HASH_KEY", "a" * 32, "repeats a pattern of 1 character"),
    ("SUPPRESSION_HASH_KEY", "0123456789abcdef" * 3, "repeats a pattern of 16 characters"),
    ("SHOPIFY_API_SECRET", "x" * 32, "repeats a pattern of 1 character"),
])
def test_production_refuses_a_long_but_guessable_secret(production_env, name, value, why):
    production_env[name] = value

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert f"{name} must be a random value" in result.stderr and why in result.stderr


@pytest.mark.parametrize("link", [None, "http://127.0.0.1:8000", "http://localhost:8000", "recovery.example.com"])
def test_production_refuses_to_start_without_a_public_address_for_links(production_env, link):
    del production_env["LINK_BASE_URL"]
    if link:
        production_env["LINK_BASE_URL"] = link

    result = run_manage("check", env=production_env)

    assert result.returncode != 0
    assert "LINK_BASE_URL" in result.stderr


def test_with_twilio_configured_production_requires_the_public_base_url(production_env):
    result = run_manage("check", env={**production_env, **TWILIO})

    assert result.returncode != 0
    assert "PUBLIC_BASE_URL must be set in production when Twilio is configured" in result.stderr


def test_the_public_base_url_is_what_links_and_signatures_use(production_env):
    del production_env["LINK_BASE_URL"]
    env = {**production_env, **TWILIO, "PUBLIC_BASE_URL": "https://recovery.example.com"}

    values, _ = production_settings(env, "PUBLIC_BASE_URL", "LINK_BASE_URL", "SMS_BACKEND")

    assert values["PUBLIC_BASE_URL"] == values["LINK_BASE_URL"] == "https://recovery.example.com"
    assert values["SMS_BACKEND"] == "recovery.messaging.backends.TwilioSmsBackend"


def test_testserver_is_never_a_production_host(production_env):
    del production_env["ALLOWED_HOSTS"]
    values, _ = production_settings(production_env, "ALLOWED_HOSTS")
    assert "testserver" not in values["ALLOWED_HOSTS"]

    result = run_manage("check", env={**production_env, "ALLOWED_HOSTS": "recovery.example.com,testserver"})
    assert result.returncode != 0 and "ALLOWED_HOSTS must not include testserver" in result.stderr


def test_without_providers_production_refuses_texts_and_calls_and_says_so_at_start_up(production_env):
    values, log = production_settings(production_env, "SMS_BACKEND")

    assert values["SMS_BACKEND"] == "recovery.messaging.backends.UnconfiguredSmsBackend"
    assert values["voice_mode"] == "unconfigured"
    assert "Texts will be refused" in log and "Calls will be refused" in log


def test_the_local_recorders_in_production_are_an_explicit_choice_logged_at_start_up(production_env):
    env = {**production_env, "SMS_BACKEND": "local", "VOICE_BACKEND": "offline"}

    values, log = production_settings(env, "SMS_BACKEND")

    assert values["SMS_BACKEND"] == "recovery.messaging.backends.LocalSmsBackend"
    assert values["voice_mode"] == "offline"
    assert "SMS_BACKEND=local: texts are recorded" in log and "VOICE_BACKEND=offline: calls are simulated" in log


@pytest.mark.parametrize(("name", "value"), [("SMS_BACKEND", "locall"), ("VOICE_BACKEND", "simulated")])
def test_an_unknown_backend_name_is_refused_by_name(production_env, name, value):
    result = run_manage("check", env={**production_env, name: value})

    assert result.returncode != 0
    assert f"{name} must be one of" in result.stderr
