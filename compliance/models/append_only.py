from django.core.exceptions import ValidationError
from django.db import models


class AppendOnlyModel(models.Model):
    """Rows are inserted, never changed or deleted through the ORM (the database enforces it too)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} rows are append-only.")
