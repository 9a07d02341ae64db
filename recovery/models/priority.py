from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models


def parse_retry_hours(text: str) -> list[float]:
    """'5, 23, 33, 52' -> [5.0, 23.0, 33.0, 52.0]; refuses what is not a valid call cadence."""
    try:
        hours = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError("Give hours as numbers separated by commas, e.g. 5, 23, 33, 52.") from exc
    if not 2 <= len(hours) <= 4:
        raise ValidationError("Plan 2 to 4 more calls after the first.")
    if any(later <= earlier for earlier, later in zip([0.0, *hours], hours, strict=False)):
        raise ValidationError("Each call must come after the one before it.")
    if not 48 <= hours[-1] <= 72:
        raise ValidationError("The last call should come 48 to 72 hours after the first.")
    return hours


def validate_retry_hours(text: str) -> None:
    parse_retry_hours(text)


class PriorityPolicy(models.Model):
    """How a store's carts are routed and ranked. Defaults suit a mid-ticket store; a store
    without a row gets them."""

    store = models.OneToOneField("recovery.Store", on_delete=models.CASCADE, related_name="priority_policy")
    call_first_min_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("150.00"), help_text="Carts worth this much are called first"
    )
    high_value_customer_min = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("1000.00"),
        help_text="A customer who has spent this much is called first",
    )
    complex_product_keywords = models.CharField(
        max_length=500, default="configur, compatib, financ, b2b, bulk, install, custom",
        help_text="Comma-separated; a line item whose title or SKU contains one is a complex product",
    )
    impulse_keywords = models.CharField(
        max_length=500, default="gift card, sticker, sample, socks",
        help_text="Comma-separated; carts made only of such items are left to the automated sequence",
    )
    escalate_after = models.DurationField(
        default=timedelta(hours=24), help_text="An automated-first cart still open this long may be called"
    )
    escalate_min_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("80.00"))
    value_cap = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("2000.00"), help_text="Value at which value points max out"
    )
    value_weight = models.FloatField(default=1.0)
    friction_weight = models.FloatField(default=1.0)
    history_weight = models.FloatField(default=1.0)
    freshness_half_life = models.DurationField(
        default=timedelta(minutes=60), help_text="Intent halves this fast after abandonment (speed-to-lead)"
    )
    attempt_penalty = models.FloatField(default=0.25, help_text="Each prior attempt divides the score by 1 + this")
    outside_hours_factor = models.FloatField(
        default=0.2, help_text="Score multiplier while it is outside calling hours where the customer is"
    )

    call_retry_hours = models.CharField(
        max_length=100, default="5, 23, 33, 52", validators=[validate_retry_hours],
        help_text="Hours after the first call at which to call again (2 to 4 calls, the last 48 to 72 hours "
                  "after the first; vary the time of day)",
    )
    after_calls = models.CharField(
        max_length=20, choices=[("automated", "Move to the automated sequence"), ("lost", "Close as lost")],
        default="automated", help_text="What happens when the last planned call did not recover the cart",
    )
    lost_after = models.DurationField(
        default=timedelta(days=7), help_text="An open cart not recovered this long after abandonment closes as lost"
    )

    class Meta:
        verbose_name_plural = "priority policies"

    def __str__(self) -> str:
        return f"Priority policy for {self.store}"

    @property
    def call_retry_offsets(self) -> list[timedelta]:
        return [timedelta(hours=hours) for hours in parse_retry_hours(self.call_retry_hours)]

    @property
    def planned_calls(self) -> int:
        return 1 + len(parse_retry_hours(self.call_retry_hours))

    @staticmethod
    def keywords(text: str) -> list[str]:
        return [word.strip().lower() for word in text.split(",") if word.strip()]
