from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class AwayReason(models.TextChoices):
    """Why an agent is away, shown on the supervisor's floor; blank when the agent signed out or stopped after a
    call without saying (the floor then shows plain "Away")."""

    BREAK = "break", "Break"
    LUNCH = "lunch", "Lunch"
    TRAINING = "training", "Training"
    MEETING = "meeting", "Meeting"
    OTHER = "other", "Other"


class AgentProfile(models.Model):
    """What a recovery specialist works (which stores, blank: all; which languages) and their status now; for a
    supervisor, the stores of their team, whose carts, agents and figures they see."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        ON_CALL = "on_call", "On a call"
        WRAP_UP = "wrap_up", "Wrap-up"
        AWAY = "away", "Away"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    stores = models.ManyToManyField(
        "recovery.Store", blank=True,
        help_text="An agent's: the stores they call for; a supervisor's: the stores they see. Blank: every store",
    )
    languages = models.CharField(max_length=100, blank=True, default="en", help_text="Comma-separated, e.g. en, es")
    is_available = models.BooleanField(default=True, help_text="Off (away): their callbacks go to the team")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    status_since = models.DateTimeField(null=True, blank=True)
    away_reason = models.CharField(max_length=20, choices=AwayReason.choices, blank=True, db_default="",
                                   help_text="While away: why (blank: signed out, or stopped after a call)")
    max_attempts_per_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Workload guardrail; blank: no limit"
    )
    hourly_cost = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="What an hour of this agent costs (wage and overhead): the dashboards' return on investment",
    )

    def __str__(self) -> str:
        return f"Agent profile of {self.user}"

    @property
    def spoken_languages(self) -> list[str]:
        return [code.strip().lower() for code in self.languages.split(",") if code.strip()]


class Callback(models.Model):
    """A call the customer asked for, at a time in their own time zone, owed by an agent."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HANDED_OUT = "handed_out", "Handed to an agent"
        CANCELLED = "cancelled", "Cancelled"

    cart = models.ForeignKey("recovery.Cart", on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="callbacks")
    due_at = models.DateTimeField(db_index=True)
    customer_timezone = models.CharField(max_length=64)
    local_time = models.CharField(max_length=40, help_text="As agreed with the customer, e.g. 2026-11-19 14:00")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    handed_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"Callback for cart {self.cart_id} at {self.local_time} ({self.customer_timezone})"


class AgentStatusChange(models.Model):
    """Each change of an agent's status, appended: how long the team was on duty (its cost) and how long
    each agent spent available, on calls and in wrap-up."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=AgentProfile.Status.choices)
    away_reason = models.CharField(max_length=20, choices=AwayReason.choices, blank=True, db_default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["agent", "at"]
        indexes = [models.Index(fields=["agent", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.agent} {self.status} at {self.at:%Y-%m-%d %H:%M}"


class AgentNotice(models.Model):
    """A supervisor's word to one agent (or the note that a cart was handed to them), shown on the agent's console
    until they dismiss it: the floor acts on an alert without walking over or phoning the agent."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    text = models.CharField(max_length=300)
    cart = models.ForeignKey("recovery.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="The cart handed to the agent, if that is what the notice says")
    sent_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [models.Index(fields=["agent", "sent_at"], condition=models.Q(dismissed_at__isnull=True),
                                name="agents_notice_open")]

    def __str__(self) -> str:
        return f"Notice to {self.agent} at {self.sent_at:%Y-%m-%d %H:%M}"
