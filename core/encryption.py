"""Encrypting secrets we must read back (a store's webhook secret, its Shopify Admin API token), with
`cryptography`'s Fernet: AES-128-CBC with an HMAC-SHA256, so a wrong key or a tampered value is detected, never
decrypted into garbage. No cryptography of our own is written here.

FIELD_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated (`Fernet.generate_key()`). The first
encrypts; every one decrypts (MultiFernet), so a key is rotated by putting the new one first, saving every store
again (a save encrypts under the first key), then dropping the old one. Development and tests use
DEVELOPMENT_FIELD_ENCRYPTION_KEY; production requires its own and refuses that one.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# B105: the documented development key, set by the development and test settings only; production refuses it.
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "ysFKeaMTEhLdQsqonJPekxm3jVbRMbHJKb-_V67iiXo="  # nosec B105


class DecryptionError(Exception):
    """A stored value that none of FIELD_ENCRYPTION_KEY's keys decrypts: never read as empty, since an empty
    webhook secret would silently switch a Shopify store to the app's secret."""


def field_keys_check(value: str | None, *, production: bool = False) -> list[str]:
    """FIELD_ENCRYPTION_KEY's keys, or ImproperlyConfigured naming the variable: missing, not Fernet keys, or (in
    production) the development key."""
    keys = [key.strip() for key in (value or "").split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set: one or more Fernet keys, comma-separated.")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError as exc:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY's key {position} is not a Fernet key (32 url-safe "
                                       "base64-encoded bytes, from Fernet.generate_key()).") from exc
    if production and DEVELOPMENT_FIELD_ENCRYPTION_KEY in keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds the development key; set a key of your own.")
    return keys


@cache
def _fernet(value: str) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in field_keys_check(value)])


def _keys() -> MultiFernet:
    return _fernet(getattr(settings, "FIELD_ENCRYPTION_KEY", None) or "")


def encrypt(text: str) -> str:
    """A Fernet token for `text` under the first key; empty stays empty (nothing to hide, and "not set" stays
    queryable)."""
    return _keys().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str, *, what: str = "a stored secret") -> str:
    """The text of a Fernet token made by any of the keys; DecryptionError, naming `what`, when none of them made
    it (a wrong or dropped key) or the value is not a token at all."""
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(f"{what} cannot be decrypted with FIELD_ENCRYPTION_KEY: the key is wrong, or the key "
                              "that encrypted it was dropped from the list (keep old keys after the first until "
                              "every value is re-encrypted).") from exc


def is_encrypted(value: str) -> bool:
    """Whether `value` is a token one of the keys made (the migration's test for what is still plaintext)."""
    try:
        _keys().decrypt(value.encode())
    except InvalidToken:
        return False
    return True
