from __future__ import annotations

from django.db import models


class MessageStep(models.IntegerChoices):
    """The automated sequence: when each step is due after the sequence starts (abandonment)."""

    FIRST = 1, "First message (1 hour)"
    REMINDER = 2, "Reminder (24 hours)"
    FINAL = 3, "Final message (3 days)"


class RecoveryMessage(models.Model):
    """One step of a cart's automated sequence: at most one row per cart and step, so a retried
    task finds the step taken and never sends it twice."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        UNDELIVERABLE = "undeliverable", "Refused by the provider"
        DENIED = "denied", "Denied by the compliance gate"
        SKIPPED = "skipped", "Skipped (no way to reach the customer)"
        INTERRUPTED = "interrupted", "Interrupted (may have gone out; not sent again)"

    cart = models.ForeignKey("recovery.Cart", on_delete=models.CASCADE, related_name="messages")
    step = models.PositiveSmallIntegerField(choices=MessageStep.choices)
    channel = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    attempt = models.ForeignKey("compliance.ContactAttempt", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    recipient = models.CharField(max_length=254, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, help_text="Twilio Message SID or email Message-ID")
    detail = models.CharField(max_length=1000, blank=True, help_text="Why it was denied, skipped or failed")
    tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When it was last handed to a worker to send")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cart", "step"]
        constraints = [models.UniqueConstraint(fields=["cart", "step"], name="recovery_message_once_per_step")]

    def __str__(self) -> str:
        return f"Step {self.step} of cart {self.cart_id}: {self.channel or '-'} {self.status}"


class MessageTemplate(models.Model):
    """A store's own wording for a step; without one, the shipped template is used.

    Written in Django's template language with: first_name, store_name, items, total, checkout_url,
    and for email unsubscribe_url (SMS gets the store's STOP text appended).
    """

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    store = models.ForeignKey("recovery.Store", on_delete=models.CASCADE, related_name="message_templates")
    step = models.PositiveSmallIntegerField(choices=MessageStep.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only")
    body = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "step", "channel"], name="message_template_unique")]

    def __str__(self) -> str:
        return f"{self.store}: {self.get_step_display()} by {self.get_channel_display()}"
