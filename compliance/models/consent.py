from __future__ import annotations

from django.db import models

from compliance.models.append_only import AppendOnlyModel
from compliance.models.choices import Channel, ConsentBasis


class ConsentRecord(AppendOnlyModel):
    """Consent as it was given or withdrawn: kept 5 years (Telemarketing Sales Rule, 2024)."""

    # Kept when the customer is purged (5-year retention): no cascade, no SET NULL (rows never change).
    customer = models.ForeignKey(
        "recovery.Customer", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    store = models.ForeignKey("recovery.Store", on_delete=models.PROTECT)
    phone = models.CharField(max_length=16, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    basis = models.CharField(max_length=30, choices=ConsentBasis.choices)
    granted = models.BooleanField(default=True)
    source = models.CharField(max_length=100, help_text="e.g. shopify_checkout, store_api, agent")
    evidence = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrawn"
        return f"{self.get_channel_display()} consent {verb} ({self.get_basis_display()})"
