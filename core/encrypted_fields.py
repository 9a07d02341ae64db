"""A model field whose value is encrypted at rest (core/encryption.py): callers read and write plain text
(`store.webhook_secret`), the column holds a Fernet token.

It is a CharField to forms, the admin and validation (max_length counts the plain text), and a text column in the
database, since a token is longer than its text. A token differs on every save, so the column cannot be searched:
only "is it empty" is allowed (`exact` with "" or `isnull`); any other lookup raises instead of matching nothing.
"""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from core.encryption import decrypt, encrypt


class EmptyOnlyExact(Exact):
    """`field=""` (is it set?) works, since empty is stored empty; `field="a value"` would compare the value with
    a token and never match, so it is refused."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(f"{self.lhs.target.name} is stored encrypted: it can only be compared with \"\".")
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):
    """Plain text in Python, a Fernet token (or "") in the database."""

    ALLOWED_LOOKUPS = frozenset({"exact", "isnull"})

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value, what=f"{self.model._meta.label}.{self.name}")

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        return encrypt(value) if isinstance(value, str) else value

    def get_lookup(self, lookup_name):
        if lookup_name not in self.ALLOWED_LOOKUPS:
            raise FieldError(f"{self.name} is stored encrypted: the {lookup_name!r} lookup cannot search it.")
        return EmptyOnlyExact if lookup_name == "exact" else super().get_lookup(lookup_name)
