"""Privacy records: erasure and data requests as they were handled, the keyed-hash suppressions that outlive
an erased person, and the legal holds on the records the law makes us keep after an erasure."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models

from compliance.models.choices import OptOutScope
from core.phones import stored_form


class PrivacyRequest(models.Model):
    """One erasure, export request or retention run: who asked, for which store, what it changed.

    The erasure of an append-only row is allowed by its table's trigger only inside a transaction that names
    one of these rows (`SET LOCAL compliance.privacy_request`), so every such change is accounted for here.
    `subject` holds identifiers only for a data request (to export them); an erasure keeps none.
    """

    class Kind(models.TextChoices):
        CUSTOMER_REDACT = "customer_redact", "Customer erasure"
        SHOP_REDACT = "shop_redact", "Store erasure"
        DATA_REQUEST = "data_request", "Customer data request"
        RETENTION = "retention", "Retention purge"

    class Source(models.TextChoices):
        SHOPIFY = "shopify", "Shopify webhook"
        COMMAND = "command", "Management command"
        RETENTION = "retention", "Retention schedule"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    # Rows outlive the store or user they name, as the other compliance records do.
    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    requested_by = models.CharField(max_length=100, blank=True, help_text="e.g. shopify:webhook 1234, command:ops")
    subject = models.JSONField(default=dict, blank=True, help_text="Data requests only: whose data to export")
    counts = models.JSONField(default=dict, blank=True, help_text="Rows erased or held, per table")
    at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.at:%Y-%m-%d %H:%M})"


class Suppression(models.Model):
    """A person erased who must never be contacted again, kept as an HMAC-SHA256 of the number (E.164) or
    address (lowercased) under `SUPPRESSION_HASH_KEY`: the gate can match it, nobody can read it back.

    The key can never change without losing every suppression (the clear values are gone).
    """

    class Reason(models.TextChoices):
        OPTED_OUT = "opted_out", "Had opted out"
        DNC_INTERNAL = "dnc_internal", "Was on the internal Do-Not-Call list"
        REQUESTED = "requested", "Asked to be erased and never contacted again"

    digest = models.CharField(max_length=64, db_index=True, help_text="HMAC-SHA256, hex")
    scope = models.CharField(max_length=10, choices=OptOutScope.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    request = models.ForeignKey(PrivacyRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["digest", "scope"], name="suppression_unique_digest_scope")]

    def __str__(self) -> str:
        return f"Suppression {self.digest[:12]}… ({self.get_scope_display()})"


class LegalHold(models.Model):
    """A record kept after its person was erased because the law requires it (call detail records and consent
    records: 5 years, TCPA/TSR), and until when. The retention sweep erases what is left of it after then."""

    class Record(models.TextChoices):
        CONTACT_ATTEMPT = "compliance.contactattempt", "Call detail record"
        CONSENT_RECORD = "compliance.consentrecord", "Consent record"

    record_type = models.CharField(max_length=40, choices=Record.choices)
    record_id = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    retained_until = models.DateTimeField(db_index=True)
    request = models.ForeignKey(PrivacyRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True, help_text="When the rest was erased")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["retained_until"]
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id"], name="legal_hold_unique_record")]
        indexes = [models.Index(fields=["retained_until"], name="legal_hold_due",
                                condition=models.Q(released_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} {self.record_id} kept until {self.retained_until:%Y-%m-%d}"



def suppression_digest(*, phone: str = "", email: str = "") -> str:
    """The keyed hash a suppression stores for a number (normalised to E.164) or an address (lowercased);
    '' for neither. Keyed (HMAC), not a bare hash: a phone number has too few possible values to resist
    guessing, so without `SUPPRESSION_HASH_KEY` the digests cannot be matched against a list of numbers."""
    value = f"phone:{stored_form(phone.strip(), None)}" if phone else f"email:{email.strip().lower()}" if email else ""
    if not value:
        return ""
    key = settings.SUPPRESSION_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
