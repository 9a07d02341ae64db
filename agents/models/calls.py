from __future__ import annotations

from django.conf import settings
from django.db import models


class FrictionReasonQuerySet(models.QuerySet):
    def for_store(self, store_id: int | None) -> FrictionReasonQuerySet:
        """The reasons a call for the store may record: every store's and the store's own."""
        return self.filter(models.Q(store__isnull=True) | models.Q(store=store_id)) if store_id else self.filter(
            store__isnull=True)


class FrictionReason(models.Model):
    """Why a customer stopped at checkout: the taxonomy of step 2. Admins keep the reasons every store shares;
    a store's supervisors add the reasons of its trade (a bike shop's frame sizes are no cosmetics shop's), which
    only its calls list, beside the shared ones."""

    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="friction_reasons", help_text="Blank: every store")
    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    suggestions = models.TextField(blank=True, help_text="Suggested resolutions for step 3, one per line")
    position = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    objects = FrictionReasonQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def suggestion_list(self) -> list[str]:
        return [line.strip() for line in self.suggestions.splitlines() if line.strip()]


class ValuePoint(models.Model):
    """A reason to buy from the store (warranty, returns, reviews) for step 4; supervisors edit them."""

    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="value_points", help_text="Blank: every store")
    text = models.CharField(max_length=300)
    product_keyword = models.CharField(max_length=100, blank=True,
                                       help_text="Only for carts with an item whose title or SKU contains this")
    position = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Call(models.Model):
    """One agent's work on one cart, from taking it to the wrap-up: the five script steps as answered,
    the dial and its progress, and the disposition. Timestamps of every step are kept so supervisors
    can see where calls are lost."""

    class Step(models.IntegerChoices):
        OPENING = 1, "Opening"
        FRICTION = 2, "Friction"
        RESOLUTION = 3, "Objections"
        VALUE = 4, "Value"
        COMPLETION = 5, "Completion"
        WRAP_UP = 6, "Wrap-up"
        DONE = 7, "Done"

    class Answer(models.TextChoices):
        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Voicemail"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        CALLBACK = "callback", "Asked for a callback"
        OPT_OUT = "opt_out", "Asked not to be called"

    class Resolved(models.TextChoices):
        YES = "yes", "Resolved"
        PARTLY = "partly", "Partly"
        NO = "no", "Not resolved"

    class Disposition(models.TextChoices):
        RECOVERED = "recovered", "Recovered: paid or ordering now"
        LINK_SENT = "link_sent", "Link sent: customer will complete"
        CALLBACK = "callback", "Callback scheduled"
        NOT_INTERESTED = "not_interested", "Not interested"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a voicemail"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        DO_NOT_CALL = "do_not_call", "Asked not to be called"
        FAILED = "failed", "Call failed (the line)"
        NOT_CALLED = "not_called", "Not called (passed)"

    class PassReason(models.TextChoices):
        """Why an agent passes a cart without calling it: a short list, so passes can be counted."""

        ALREADY_ORDERED = "already_ordered", "Already ordered"
        TEST_OR_DUPLICATE = "test_or_duplicate", "Test or duplicate cart"
        KNOWN_CONTACT = "known_contact", "I know this customer (conflict of interest)"
        LANGUAGE = "language", "I don't speak the customer's language"
        OTHER = "other", "Other (note why)"

    cart = models.ForeignKey("recovery.Cart", on_delete=models.CASCADE, related_name="calls")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls")
    attempt = models.OneToOneField("compliance.ContactAttempt", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="call")
    opened_at = models.DateTimeField()
    step = models.PositiveSmallIntegerField(choices=Step.choices, default=Step.OPENING)
    step_times = models.JSONField(default=dict, help_text="When each step was reached: {step: ISO time}")

    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    frictions = models.ManyToManyField(FrictionReason, blank=True, related_name="calls")
    friction_notes = models.TextField(blank=True)
    offered = models.JSONField(default=list, blank=True, help_text="Resolutions offered in step 3")
    offer_notes = models.TextField(blank=True)
    resolved = models.CharField(max_length=10, choices=Resolved.choices, blank=True)
    value_points_used = models.JSONField(default=list, blank=True)
    link_sent_by = models.CharField(max_length=10, blank=True, help_text="sms or email")
    paid_by_phone_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True,
                                         help_text="The payment terminal's reference; never card data")
    upsell_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    notes = models.TextField(blank=True)
    wrapped_up_at = models.DateTimeField(null=True, blank=True)
    ended_at_step = models.PositiveSmallIntegerField(choices=Step.choices, null=True, blank=True,
                                                     help_text="The script step at which the call ended")
    pass_reason = models.CharField(max_length=20, choices=PassReason.choices, blank=True, db_default="")
    # Handle time, kept per call: talk (answer to the line's end) and after-call work (the line's end, or the
    # wrap-up's start if later, to the wrap-up saved).
    talk_seconds = models.PositiveIntegerField(null=True, blank=True)
    after_call_seconds = models.PositiveIntegerField(null=True, blank=True)

    # The phone line, as Twilio (or the offline backend) reports it.
    provider_sid = models.CharField(max_length=64, blank=True, db_index=True)
    line_status = models.CharField(max_length=20, blank=True)
    ringing_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    answered_by = models.CharField(max_length=30, blank=True, help_text="human, machine_start, fax, unknown")

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["agent", "-opened_at"]), models.Index(fields=["cart", "-opened_at"]),
                   # The dashboard's roll-ups read the calls of recent days.
                   models.Index(fields=["opened_at"], name="call_opened_at")]
        constraints = [
            models.UniqueConstraint(fields=["agent"], condition=models.Q(wrapped_up_at__isnull=True),
                                    name="call_one_open_per_agent"),
        ]

    def __str__(self) -> str:
        return f"Call on cart {self.cart_id} by {self.agent} ({self.get_step_display()})"

    @property
    def is_open(self) -> bool:
        return self.wrapped_up_at is None

    @property
    def passed(self) -> bool:
        """Sent to the wrap-up without a dial (the agent passed the cart): it is not dialed any more."""
        return not self.attempt_id and self.step >= self.Step.WRAP_UP

    @property
    def line_ended(self) -> bool:
        return self.line_status in {"completed", "busy", "no-answer", "failed", "canceled"}


class DraftOrder(models.Model):
    """A manual invoice made during a call: the amount agreed and the link the customer pays through."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting payment"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    cart = models.ForeignKey("recovery.Cart", on_delete=models.CASCADE, related_name="draft_orders")
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft_orders")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    payment_url = models.URLField(max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invoice {self.pk} for cart {self.cart_id}: {self.amount} {self.currency}"
