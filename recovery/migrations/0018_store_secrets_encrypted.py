"""Stores' webhook secrets and Shopify Admin API tokens are encrypted at rest (core/encrypted_fields.py): the
columns become text (a token is longer than its secret) and the values already stored are encrypted here with
FIELD_ENCRYPTION_KEY. Reversing decrypts them back into the old columns.

Raw SQL, not the historical model: that model's field would try to decrypt the plaintext it reads. A value that is
already a token under the keys is left alone, so running it again (or after a partial run) encrypts nothing twice.
"""

from django.db import migrations

import core.encrypted_fields
from core.encryption import decrypt, encrypt, is_encrypted

COLUMNS = ("webhook_secret", "shopify_admin_access_token")


def _rewrite(schema_editor, convert) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, webhook_secret, shopify_admin_access_token FROM recovery_store ORDER BY id")
        rows = cursor.fetchall()
        for pk, *values in rows:
            converted = [convert(value) if value else value for value in values]
            if converted != values:
                cursor.execute("UPDATE recovery_store SET webhook_secret = %s, shopify_admin_access_token = %s "
                               "WHERE id = %s", [*converted, pk])


def secrets_encrypt(apps, schema_editor):
    _rewrite(schema_editor, lambda value: value if is_encrypted(value) else encrypt(value))


def secrets_decrypt(apps, schema_editor):
    _rewrite(schema_editor, lambda value: decrypt(value, what="recovery.Store's secret")
             if is_encrypted(value) else value)


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0017_drop_unsafe_recovery_links"),
    ]

    operations = [
        migrations.AlterField(
            model_name="store",
            name="shopify_admin_access_token",
            field=core.encrypted_fields.EncryptedCharField(
                blank=True, db_default="", default="", max_length=255,
                help_text="Shopify Admin API access token (read_orders scope): lets the reconciliation read the "
                          "abandoned checkouts no webhook brought. Blank: no reconciliation."),
        ),
        migrations.AlterField(
            model_name="store",
            name="webhook_secret",
            field=core.encrypted_fields.EncryptedCharField(
                blank=True, max_length=255,
                help_text="Signs this store's webhooks. Blank: Shopify stores use SHOPIFY_API_SECRET."),
        ),
        migrations.RunPython(secrets_encrypt, secrets_decrypt),
    ]
