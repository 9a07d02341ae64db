from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import HashIndex
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class CartQuerySet(models.QuerySet["Cart"]):
    def open(self) -> CartQuerySet:
        return self.filter(status=Cart.Status.OPEN)

    def pending_abandonment(self) -> CartQuerySet:
        return self.filter(status=Cart.Status.PENDING)

    def for_store(self, store) -> CartQuerySet:
        return self.filter(store=store)

    def abandoned_between(self, start, end) -> CartQuerySet:
        return self.filter(abandoned_at__gte=start, abandoned_at__lt=end)


class Cart(models.Model):
    """An abandoned checkout.

    A checkout arrives as `pending` (the customer may still be typing); once it
    has gone untouched for the store's abandonment delay and we can reach the
    customer, it becomes `open` and can be worked. A checkout completed before
    that is `completed` and never worked; one completed after is `recovered`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "In checkout"
        OPEN = "open", "Open"
        RECOVERED = "recovered", "Recovered"
        LOST = "lost", "Lost"
        SUPPRESSED = "suppressed", "Suppressed"
        EXPIRED = "expired", "Expired"
        COMPLETED = "completed", "Completed without recovery"

    class Attribution(models.TextChoices):
        CONTACTED = "contacted", "Recovered after contact"
        SELF_RECOVERED = "self_recovered", "Self-recovered (no contact)"
        CONTROL = "control", "Control group (never contacted)"

    class Route(models.TextChoices):
        CALL_FIRST = "call_first", "Call first"
        AUTOMATED_FIRST = "automated_first", "Automated first"

    store = models.ForeignKey("recovery.Store", on_delete=models.CASCADE, related_name="carts")
    external_id = models.CharField(max_length=100, blank=True, help_text="The store's id for this checkout")
    checkout_token = models.CharField(max_length=255, blank=True, help_text="Shopify checkout token / cart hash")
    customer = models.ForeignKey(
        "recovery.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="carts"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.CharField(max_length=1000, blank=True, help_text="Why a cart was suppressed, lost, ...")
    total_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3)
    checkout_url = models.URLField(max_length=2000, blank=True)

    platform_created_at = models.DateTimeField(null=True, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    payment_failed = models.BooleanField(default=False)
    reached_payment_step = models.BooleanField(default=False)
    error_text = models.TextField(blank=True)
    discount_code_tried = models.CharField(max_length=255, blank=True)

    recovered_at = models.DateTimeField(null=True, blank=True)
    recovered_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    recovered_order_id = models.CharField(max_length=100, blank=True)
    # Who gets the credit: the last contact attempt in the store's attribution window, or nobody.
    attribution = models.CharField(max_length=20, choices=Attribution.choices, blank=True, db_index=True,
                                   db_default="")
    recovered_attempt = models.ForeignKey("compliance.ContactAttempt", null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    recovered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="recovered_carts")
    recovered_channel = models.CharField(max_length=10, blank=True, db_default="")
    upsell_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                       help_text="What the order added above the cart's value")
    in_control_group = models.BooleanField(default=False, db_default=False, db_index=True,
                                           help_text="Chosen at random when it arrived: nobody contacts it")

    route = models.CharField(max_length=20, choices=Route.choices, blank=True, db_index=True)
    priority_score = models.FloatField(default=0.0, db_index=True)
    priority_reason = models.CharField(max_length=500, blank=True, help_text="Why this route and score, in a sentence")
    scored_at = models.DateTimeField(null=True, blank=True)
    workable_since = models.DateTimeField(null=True, blank=True, help_text="When the cart entered the work queue")
    first_attempt_at = models.DateTimeField(null=True, blank=True, help_text="First contact attempt (speed to lead)")
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reserved_carts"
    )
    reserved_until = models.DateTimeField(null=True, blank=True, help_text="The agent's lease on the cart")
    # An agent who passed the cart (did not call it) is not handed it again before `passed_until`; others are.
    passed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    passed_until = models.DateTimeField(null=True, blank=True, help_text="Not handed back to who passed it before")

    # The call cadence: attempts made, when the next may be made, when the calls ran out.
    call_attempts = models.PositiveSmallIntegerField(default=0)
    next_call_at = models.DateTimeField(null=True, blank=True, help_text="Not called again before this (blank: now)")
    calls_ended_at = models.DateTimeField(null=True, blank=True, help_text="The last call of the cadence was made")
    # The automated sequence: step N is due at sequence_anchor_at + its offset (1 h, 24 h, 3 days).
    sequence_anchor_at = models.DateTimeField(null=True, blank=True)
    next_message_step = models.PositiveSmallIntegerField(default=0, help_text="0: no message pending")
    next_message_at = models.DateTimeField(null=True, blank=True)

    raw_payload = models.JSONField(default=dict, blank=True, help_text="The last payload received, for audit")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CartQuerySet.as_manager()

    class Meta:
        ordering = ["-abandoned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "checkout_token"],
                # B106: a query condition, not a password.
                condition=~Q(checkout_token=""),  # nosec B106
                name="cart_unique_token_per_store",
            ),
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~Q(external_id=""),
                name="cart_unique_external_id_per_store",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status"]),
            # The work queue reads ready carts (never called, or a retry whose time has come) best first; a
            # called cart leaves that index until beat puts it back by the second one, when its time comes.
            models.Index(fields=["-priority_score", "id"], name="cart_call_queue_new",
                         condition=Q(status="open", route="call_first", next_call_at__isnull=True,
                                     calls_ended_at__isnull=True)),
            models.Index(fields=["next_call_at"], name="cart_call_queue_due",
                         condition=Q(status="open", route="call_first", next_call_at__isnull=False,
                                     calls_ended_at__isnull=True)),
            # The dashboard's roll-ups read the recoveries of recent days.
            models.Index(fields=["recovered_at"], name="cart_recovered_at", condition=Q(status="recovered")),
            # The sequence sweep reads due messages.
            models.Index(fields=["next_message_at"], name="cart_message_due",
                         condition=Q(status="open", next_message_at__isnull=False)),
            # A checkout the reconciliation stored without a token (its recovery URL not of the documented
            # shape) is found by that URL when its webhook brings the token. Hash: a URL may outgrow a b-tree entry.
            # B106: a query condition, not a password.
            HashIndex(fields=["checkout_url"], name="cart_tokenless_by_url",
                      condition=Q(checkout_token="") & ~Q(checkout_url="")),  # nosec B106
        ]

    def __str__(self) -> str:
        return f"Cart {self.checkout_token or self.external_id} ({self.get_status_display()})"

    def clean(self) -> None:
        if not self.checkout_token and not self.external_id:
            raise ValidationError("A cart needs a checkout token or an external id.")

    @property
    def has_friction(self) -> bool:
        return self.payment_failed or bool(self.error_text)

    @property
    def is_workable(self) -> bool:
        return self.status == self.Status.OPEN


class CartLineItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="line_items")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=500)
    sku = models.CharField(max_length=255, blank=True)
    variant = models.CharField(max_length=500, blank=True)
    product_id = models.CharField(max_length=100, blank=True)
    variant_id = models.CharField(max_length=100, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class CartEvent(models.Model):
    """Append-only history of a cart: rows are inserted, never changed."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ABANDONED = "abandoned", "Abandoned"
        ORDER_PLACED = "order_placed", "Order placed"
        STATUS_CHANGED = "status_changed", "Status changed"

    class Source(models.TextChoices):
        SHOPIFY = "shopify", "Shopify webhook"
        WOOCOMMERCE = "woocommerce", "WooCommerce webhook"
        API = "api", "REST API"
        SYSTEM = "system", "System"
        DEMO = "demo", "Demo data"

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    at = models.DateTimeField(db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Cart events are append-only.")
        super().save(*args, **kwargs)
