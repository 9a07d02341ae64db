from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from core.access import ADMIN, AGENT, SUPERVISOR
from recovery.models import Platform
from tests.factories import StoreFactory, UserFactory
from tests.payloads import API_TOKEN, SHOPIFY_SECRET, WOO_SECRET


def seed_shipped_data() -> None:
    """Rows the migrations ship (calling rules, roles). A transactional test's flush
    empties them, and --reuse-db keeps a database whose migrations already ran."""
    calling_rules = importlib.import_module("compliance.migrations.0003_calling_rules")
    calling_rules.seed_calling_rules(apps, SimpleNamespace(connection=connection))
    roles = importlib.import_module("agents.migrations.0001_roles")
    roles.create_roles(apps, None)
    importlib.import_module("agents.migrations.0006_friction_taxonomy").seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_shipped_data()


@pytest.fixture(autouse=True)
def _clean_celery_task_stack():
    """An eager task that raised (e.g. Retry) can leave itself on Celery's task stack, which then
    makes later eager `.get()` calls think they run inside a task."""
    from celery._state import _task_stack

    yield
    while _task_stack.top is not None:
        _task_stack.pop()


@pytest.fixture(autouse=True)
def _reseed_after_flush(request):
    """Transactional tests run after a flush: put the shipped rows back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        seed_shipped_data()
        from compliance.services.hours import clear_calling_rules_cache

        clear_calling_rules_cache()


@pytest.fixture(autouse=True)
def _shopify_secret(settings):
    settings.SHOPIFY_API_SECRET = SHOPIFY_SECRET


@pytest.fixture
def shopify_store(db):
    return StoreFactory(name="Demo Store", platform=Platform.SHOPIFY, shop_domain="demo-store.myshopify.com")


@pytest.fixture
def woo_store(db):
    return StoreFactory(name="Coffee", platform=Platform.WOOCOMMERCE, shop_domain="coffee.example.com",
                        webhook_secret=WOO_SECRET)


@pytest.fixture
def custom_store(db):
    from recovery.models.stores import hash_api_token

    return StoreFactory(name="Custom", platform=Platform.CUSTOM, shop_domain="api.custom.example.com",
                        api_token_hash=hash_api_token(API_TOKEN), api_token_prefix=API_TOKEN[:12])


@pytest.fixture
def api_client(custom_store):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}")
    return client


@pytest.fixture
def agent_user(db):
    return UserFactory(username="agent", role=AGENT)


@pytest.fixture
def supervisor_user(db):
    return UserFactory(username="supervisor", role=SUPERVISOR)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=ADMIN, is_staff=True, is_superuser=True)
