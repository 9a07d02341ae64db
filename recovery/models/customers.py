from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from phonenumber_field.modelfields import PhoneNumberField

from compliance.models.privacy import suppression_digest


class Customer(models.Model):
    """A shopper as the store reported them, with the consent the store collected.

    `phone` is E.164 when the number parsed (with the address's country as the
    default region); otherwise it is empty, `phone_raw` keeps what was sent and
    `phone_invalid` flags it so nobody dials a guess.
    """

    store = models.ForeignKey("recovery.Store", on_delete=models.CASCADE, related_name="customers")
    external_id = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = PhoneNumberField(blank=True, db_index=True)
    phone_raw = models.CharField(max_length=64, blank=True)
    phone_invalid = models.BooleanField(default=False)
    # The number's suppression digest (compliance's keyed hash, `suppression_digest`), written with the number,
    # so that the work queue's pop can probe the erasure suppressions in the same statement. The gate checks it
    # against the number before relying on it: a stale or missing one only costs a separate read.
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    language = models.CharField(max_length=8, blank=True, help_text="ISO 639-1, from the checkout's locale")
    region = models.CharField(max_length=10, blank=True, help_text="State or province code")

    accepts_email_marketing = models.BooleanField(null=True, blank=True)
    email_consent_source = models.CharField(max_length=100, blank=True)
    email_consent_at = models.DateTimeField(null=True, blank=True)
    accepts_sms_marketing = models.BooleanField(null=True, blank=True)
    sms_marketing_phone = PhoneNumberField(blank=True)
    sms_consent_source = models.CharField(max_length=100, blank=True)
    sms_consent_at = models.DateTimeField(null=True, blank=True)

    orders_count = models.PositiveIntegerField(null=True, blank=True, help_text="Orders before this checkout")
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                         help_text="What the customer has spent with the store")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~Q(external_id=""),
                name="customer_unique_external_id_per_store",
            )
        ]
        # Ingestion matches a checkout's customer by email in any case (`email__iexact`), once per delivery.
        indexes = [models.Index(Upper("email"), name="customer_email_upper")]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.phone) or f"Customer {self.pk}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "phone" in update_fields:  # the number is written: its digest with it
            number = getattr(self.phone, "as_e164", self.phone) or ""
            self.phone_digest = suppression_digest(phone=number) if number else ""
            if update_fields is not None and "phone_digest" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "phone_digest"]
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
