from __future__ import annotations

from datetime import time, timedelta

from django.db import models

from compliance.models.choices import ConsentBasis


class CompliancePolicy(models.Model):
    """A store's compliance settings. Defaults are the safe ones; a store without a
    policy row gets these defaults."""

    store = models.OneToOneField("recovery.Store", on_delete=models.CASCADE, related_name="compliance_policy")
    call_basis = models.CharField(
        max_length=30, choices=ConsentBasis.choices, default=ConsentBasis.EBR_INQUIRY,
        help_text="What calls rely on when there is no express consent",
    )
    ebr_duration = models.DurationField(default=timedelta(days=90), help_text="How long an inquiry lasts")
    ebr_exempts_from_dnc = models.BooleanField(
        default=False, help_text="Let the business relationship override national and state DNC lists (audited)"
    )
    allow_stale_national_list = models.BooleanField(
        default=False, help_text="Keep calling when the national list's last full import is over 31 days old"
    )
    national_list_max_age = models.DurationField(default=timedelta(days=31))
    max_calls_per_24h = models.PositiveSmallIntegerField(default=3)
    min_gap_between_calls = models.DurationField(default=timedelta(hours=2))
    max_calls_per_cart = models.PositiveSmallIntegerField(default=6)
    max_sms_per_24h = models.PositiveSmallIntegerField(default=1)
    max_sms_per_cart = models.PositiveSmallIntegerField(default=1)
    max_emails_per_24h = models.PositiveSmallIntegerField(default=2)
    max_emails_per_cart = models.PositiveSmallIntegerField(default=3)
    sms_help_text = models.CharField(
        max_length=300, default="Reply STOP to stop texts. For help, reply to this message or email us.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "compliance policies"

    def __str__(self) -> str:
        return f"Compliance policy for {self.store}"


# Callables rather than fixed times: Django's check flags a fixed time default that happens to be within
# seconds of the clock (fields.W161), which made `check --deploy` fail at exactly 21:00.
def federal_start() -> time:
    return time(8, 0)


def federal_end() -> time:
    return time(21, 0)


class CallingRule(models.Model):
    """Calling hours and limits for a country or a state, shipped as data with its source.

    The federal rule (country US, region blank) applies everywhere in the US; a
    state row tightens it. Admins can edit them.
    """

    country = models.CharField(max_length=2, default="US")
    region = models.CharField(max_length=10, blank=True, help_text="State code; blank for the national rule")
    start = models.TimeField(default=federal_start)
    end = models.TimeField(default=federal_end)
    sunday_start = models.TimeField(null=True, blank=True)
    sunday_end = models.TimeField(null=True, blank=True)
    no_calls_on_sunday = models.BooleanField(default=False)
    no_calls_on_holidays = models.BooleanField(default=False)
    holidays = models.JSONField(default=list, blank=True, help_text="Extra dates (YYYY-MM-DD) with no calls")
    max_calls_per_24h = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.URLField(max_length=500, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["country", "region"]
        constraints = [models.UniqueConstraint(fields=["country", "region"], name="calling_rule_unique_region")]

    def __str__(self) -> str:
        return f"{self.country}-{self.region}" if self.region else f"{self.country} (national)"
