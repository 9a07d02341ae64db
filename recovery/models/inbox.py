from __future__ import annotations

from django.db import models
from django.db.models import Q


class WebhookDelivery(models.Model):
    """A verified webhook delivery, stored before we answer the sender.

    This is the inbox: nothing a store sent is lost. Processing happens in a
    Celery task; a failed delivery keeps its error and can be replayed from
    the admin. Unverified deliveries are never stored.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        DEFERRED = "deferred", "Acknowledged, deferred"
        FAILED = "failed", "Failed"

    platform = models.CharField(max_length=20)
    store = models.ForeignKey("recovery.Store", on_delete=models.PROTECT, related_name="webhook_deliveries")
    topic = models.CharField(max_length=100)
    dedup_key = models.CharField(
        max_length=255, help_text="Webhook id (Shopify) or resource + modified time (WooCommerce)"
    )
    event_id = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict)
    raw_body = models.BinaryField()
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "dedup_key"], name="delivery_unique_dedup_key"),
            models.UniqueConstraint(
                fields=["store", "event_id"], condition=~Q(event_id=""), name="delivery_unique_event_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.topic} #{self.pk}"
