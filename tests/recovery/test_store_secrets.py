"""A store's webhook secret and Shopify Admin API token are encrypted at rest: the columns hold Fernet tokens
under FIELD_ENCRYPTION_KEY, the code reads plain text, the migration encrypts what was stored before, and a wrong
key fails loudly instead of reading an empty secret."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin import site
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.encryption import DecryptionError, field_keys_check
from recovery.admin import StoreAdmin
from recovery.models import Cart, Platform, Store
from tests.factories import StoreFactory
from tests.helpers import process_inbox
from tests.payloads import WOO_SECRET, post_shopify, post_woocommerce, shopify_checkout, woocommerce_order

pytestmark = pytest.mark.django_db
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
BEFORE, AFTER = ("recovery", "0015_customer_phone_digest"), ("recovery", "0018_store_secrets_encrypted")


def stored(store: Store) -> tuple[str, str]:
    """The columns as the database holds them, past the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret, shopify_admin_access_token FROM recovery_store WHERE id = %s",
                       [store.pk])
        return cursor.fetchone()


def test_the_columns_hold_no_plaintext_and_the_model_reads_it_back():
    # given
    store = StoreFactory(webhook_secret=WOO_SECRET, shopify_admin_access_token=TOKEN)
    # when
    secret_column, token_column = stored(store)
    # then
    assert WOO_SECRET not in secret_column and TOKEN not in token_column
    assert secret_column.startswith("gAAAA") and token_column.startswith("gAAAA")  # Fernet tokens
    fresh = Store.objects.get(pk=store.pk)
    assert (fresh.webhook_secret, fresh.shopify_admin_access_token) == (WOO_SECRET, TOKEN)


def test_updates_and_empty_values_are_stored_the_same_way():
    store = StoreFactory(webhook_secret="")
    assert stored(store) == ("", "")  # "not set" stays empty, so "is it set?" can still be asked
    Store.objects.filter(pk=store.pk).update(shopify_admin_access_token=TOKEN)
    assert TOKEN not in stored(store)[1]
    assert Store.objects.exclude(shopify_admin_access_token="").get().shopify_admin_access_token == TOKEN


def test_searching_an_encrypted_column_is_refused_rather_than_matching_nothing():
    StoreFactory(webhook_secret=WOO_SECRET)
    with pytest.raises(FieldError, match="stored encrypted"):
        Store.objects.filter(webhook_secret=WOO_SECRET).exists()
    with pytest.raises(FieldError, match="stored encrypted"):
        Store.objects.filter(shopify_admin_access_token__startswith="shpat").exists()


def test_signed_webhooks_are_checked_against_the_decrypted_secrets(client, woo_store, shopify_store, settings):
    # given a WooCommerce store and a Shopify store with its own secret, both stored encrypted
    shopify_store.webhook_secret = "store-own-secret"
    shopify_store.save()
    assert "store-own-secret" not in stored(shopify_store)[0] and WOO_SECRET not in stored(woo_store)[0]
    # when each signs a delivery with its secret
    assert post_woocommerce(client, woocommerce_order()).status_code == 200
    assert post_shopify(client, shopify_checkout(), secret="store-own-secret").status_code == 200
    # then both are accepted, and a delivery signed with anything else is not
    assert post_shopify(client, shopify_checkout(), secret=settings.SHOPIFY_API_SECRET).status_code == 401
    assert post_woocommerce(client, woocommerce_order(), secret="wrong").status_code == 401
    process_inbox()
    assert Cart.objects.filter(store=shopify_store).exists()


def test_a_rotated_key_still_reads_what_the_old_one_encrypted(settings):
    # given a token stored under the old key
    old = settings.FIELD_ENCRYPTION_KEY
    store = StoreFactory(shopify_admin_access_token=TOKEN)
    before = stored(store)[1]
    # when a new key is put first and the store saved again
    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"
    Store.objects.get(pk=store.pk).save()
    # then it is re-encrypted under the new key alone
    settings.FIELD_ENCRYPTION_KEY = settings.FIELD_ENCRYPTION_KEY.split(",")[0]
    assert stored(store)[1] != before and Store.objects.get(pk=store.pk).shopify_admin_access_token == TOKEN


def test_a_wrong_key_fails_loudly_and_never_reads_an_empty_secret(client, shopify_store, settings):
    # given a Shopify store whose own secret was encrypted under another key
    shopify_store.webhook_secret = "store-own-secret"
    shopify_store.save()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    # when it is read
    with pytest.raises(DecryptionError, match="recovery.Store.webhook_secret cannot be decrypted with "
                                              "FIELD_ENCRYPTION_KEY"):
        Store.objects.get(pk=shopify_store.pk)
    # then a webhook signed with the app's secret (what an empty store secret would fall back to) is not accepted
    client.raise_request_exception = False
    response = post_shopify(client, shopify_checkout())
    assert response.status_code == 500  # Shopify retries it once the key is put right: nothing is lost


@pytest.mark.parametrize(("value", "message"), [
    ("", "FIELD_ENCRYPTION_KEY must be set"),
    ("too-short", "FIELD_ENCRYPTION_KEY's key 1 is not a Fernet key"),
])
def test_a_missing_or_malformed_key_names_the_variable(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        field_keys_check(value)


def test_the_migration_encrypts_the_secrets_stored_before_it_and_reverses():
    # given stores saved in plaintext before the migration
    plain = StoreFactory(shop_domain="plain.myshopify.com", platform=Platform.SHOPIFY)
    empty = StoreFactory(shop_domain="empty.myshopify.com", webhook_secret="")
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recovery_store SET webhook_secret = %s, shopify_admin_access_token = %s WHERE id = %s",
                       [WOO_SECRET, TOKEN, plain.pk])
    # when it runs
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    # then the values are encrypted, read back as they were, and empty ones stay empty
    assert WOO_SECRET not in stored(plain)[0] and TOKEN not in stored(plain)[1]
    assert stored(empty) == ("", "")
    fresh = Store.objects.get(pk=plain.pk)
    assert (fresh.webhook_secret, fresh.shopify_admin_access_token) == (WOO_SECRET, TOKEN)
    # and reversing it puts the plaintext back
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    assert stored(plain) == (WOO_SECRET, TOKEN)
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())



def test_the_admin_never_shows_the_webhook_secret_and_keeps_it_when_left_blank(admin_client, admin_user, rf):
    # given
    store = StoreFactory(platform=Platform.WOOCOMMERCE, webhook_secret=WOO_SECRET)
    # when
    page = admin_client.get(f"/admin/recovery/store/{store.pk}/change/").content.decode()
    # then: only a hint, as for the access token
    assert WOO_SECRET not in page
    assert f"…{WOO_SECRET[-4:]} (set)" in page

    # given: the change form as the admin builds it
    request = rf.post("/")
    request.user = admin_user
    form_class = StoreAdmin(Store, site).get_form(request, obj=store)
    data = {name: value for name, value in form_class(instance=store).initial.items() if value is not None}
    # when: the secret left blank, the removal box ticked, a new secret typed
    kept = form_class(data={**data, "webhook_secret": ""}, instance=store)
    removed = form_class(data={**data, "remove_webhook_secret": "on"}, instance=store)
    replaced = form_class(data={**data, "webhook_secret": "a-new-secret-for-this-store"}, instance=store)
    # then
    assert kept.is_valid() and removed.is_valid() and replaced.is_valid(), (kept.errors, removed.errors)
    assert kept.cleaned_data["webhook_secret"] == WOO_SECRET
    assert removed.cleaned_data["webhook_secret"] == ""
    assert replaced.cleaned_data["webhook_secret"] == "a-new-secret-for-this-store"
