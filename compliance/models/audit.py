from __future__ import annotations

from django.conf import settings
from django.db import models

from compliance.models.append_only import AppendOnlyModel
from compliance.models.choices import Channel


class ContactDecision(AppendOnlyModel):
    """Every gate decision, allowed or denied: who asked, about whom, what was decided and why.

    Append-only (a database trigger refuses UPDATE and DELETE); supervisors and
    admins search it, nobody edits it.
    """

    at = models.DateTimeField(db_index=True)
    # Rows never change, so references outlive what they point to instead of being nulled.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                                     db_constraint=False, related_name="+")
    requester = models.CharField(max_length=100, help_text="e.g. agent:maya, task:send_recovery_sms")
    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    allowed = models.BooleanField()
    reasons = models.JSONField(default=list, help_text="Reason codes")
    explanations = models.JSONField(default=list, help_text="One sentence per reason")
    basis = models.CharField(max_length=30, blank=True, help_text="The legal basis relied on")
    notes = models.JSONField(default=list, blank=True, help_text="Exemptions and waivers applied")
    list_versions = models.JSONField(default=dict)
    recipient_timezones = models.JSONField(default=list)
    next_allowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["store", "-at"])]

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "denied"
        return f"{self.channel} to {self.phone or self.email} {verdict} at {self.at:%Y-%m-%d %H:%M}"


class ContactAttempt(models.Model):
    """A contact that the gate allowed: the call detail record (number, time, duration,
    outcome), kept 5 years even when other personal data is purged."""

    decision = models.OneToOneField(ContactDecision, on_delete=models.PROTECT, related_name="attempt")
    store = models.ForeignKey("recovery.Store", on_delete=models.PROTECT)
    cart = models.ForeignKey("recovery.Cart", null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    phone = models.CharField(max_length=16, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(db_index=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # "not_sent": the provider never took the message (an outage); it does not count towards any cap.
    outcome = models.CharField(max_length=50, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True, help_text="Twilio Call or Message SID")
    provider_status = models.CharField(max_length=20, blank=True, help_text="The provider's last delivery status")
    provider_error = models.CharField(max_length=200, blank=True, help_text="The provider's error code and message")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["phone", "channel", "-at"]), models.Index(fields=["email", "channel", "-at"]),
                   models.Index(fields=["cart", "-at"], name="attempt_cart_recent")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.phone or self.email} at {self.at:%Y-%m-%d %H:%M}"
