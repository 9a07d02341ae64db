from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from compliance.models import CompliancePolicy, DncImport, DncList
from compliance.services.hours import clear_calling_rules_cache
from tests.compliance.helpers import NOON_NY, NY_INTERNAL_DNC, NY_NATIONAL_DNC, TX_STATE_DNC, UK_TPS, World
from tests.factories import StoreFactory, add_entry


@pytest.fixture(autouse=True)
def _dnc_uploads_dir(settings, tmp_path):
    """Uploaded DNC files wait in a directory of the test's own, never the checkout's var/."""
    settings.DNC_UPLOADS_DIR = tmp_path / "dnc-uploads"


@pytest.fixture(autouse=True)
def _fresh_calling_rules():
    """Calling rules are cached per process; tests that edit them must not leak."""
    clear_calling_rules_cache()
    yield
    clear_calling_rules_cache()


def drop_dnc_tables() -> None:
    """Partitions are DDL, which no flush or rollback of the test's rows removes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
            "AND (c.relname LIKE 'compliance\\_dncentry\\_p%' OR c.relname LIKE 'compliance\\_dncentry\\_stage\\_%')"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.fixture
def dnc_db(django_db_setup, django_db_blocker, settings, tmp_path):
    """Real commits, as an import's own connection cannot see a test's uncommitted rows; afterwards only
    the DNC rows and partitions go. (`transactional_db` would flush every table, the rows that migrations
    seed, such as the calling rules, included, and --reuse-db would keep the database that way.)"""
    settings.DNC_REPORTS_DIR = tmp_path / "dnc-reports"
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            DncImport.objects.all().delete()
            DncList.objects.all().delete()
            drop_dnc_tables()


@pytest.fixture
def world(db) -> World:
    """The gate table's world: a store with the default policy and four DNC lists, each listing one number."""
    store = StoreFactory(name="Demo", shop_domain="gate.myshopify.com")
    policy = CompliancePolicy.objects.create(store=store)
    fresh = NOON_NY - timedelta(days=1)
    lists = {
        "national": DncList.objects.create(name="national", kind="national", version=7, last_full_import_at=fresh),
        "state-tx": DncList.objects.create(name="state-tx", kind="state", region="TX", version=2,
                                           last_full_import_at=fresh),
        "internal": DncList.objects.create(name="internal", kind="internal", version=3),
        "uk-tps": DncList.objects.create(name="uk-tps", kind="uk_tps", version=1, last_full_import_at=fresh),
    }
    add_entry(lists["national"], NY_NATIONAL_DNC)
    add_entry(lists["state-tx"], TX_STATE_DNC)
    add_entry(lists["internal"], NY_INTERNAL_DNC)
    add_entry(lists["uk-tps"], UK_TPS)
    return World(store=store, policy=policy, lists=lists)
