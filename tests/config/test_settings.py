"""Production settings refuse embedded services and default secrets, and pass check --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from config.encryption import DEVELOPMENT_FIELD_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL",
                                                              "SECRET_KEY", "SHOPIFY_API_SECRET", "DEBUG",
                                                              "SUPPRESSION_HASH_KEY", "FIELD_ENCRYPTION_KEY",
                                                              "DJANGO_ALLOW_ASYNC_UNSAFE"}}
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
    }


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
