from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.encrypted_fields import EncryptedCharField


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/New_York).") from exc


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    CUSTOM = "custom", "Custom (REST API)"


class Store(models.Model):
    """A shop whose abandoned carts we work.

    `shop_domain` identifies the store in webhooks: Shopify's `X-Shopify-Shop-Domain`
    (`name.myshopify.com`) or the host of WooCommerce's `X-WC-Webhook-Source`.
    Only a hash of the REST API token is kept; the token is shown once when issued.
    """

    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=Platform.choices)
    shop_domain = models.CharField(max_length=255, unique=True, help_text="e.g. demo-store.myshopify.com")
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    # Both secrets are encrypted at rest (core/encrypted_fields.py): a copy of the database alone cannot forge a
    # store's webhooks or read its Shopify orders.
    webhook_secret = EncryptedCharField(
        max_length=255,
        blank=True,
        help_text="Signs this store's webhooks. Blank: Shopify stores use SHOPIFY_API_SECRET.",
    )
    shopify_admin_access_token = EncryptedCharField(
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text="Shopify Admin API access token (read_orders scope): lets the reconciliation read the abandoned "
                  "checkouts no webhook brought. Blank: no reconciliation.",
    )
    shopify_reconciled_through = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Every checkout updated before this time has been read from Shopify's Admin API: the end of the "
                  "last successful reconciliation, where the next one starts (less an overlap).",
    )
    uninstalled_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When Shopify said the app was uninstalled (an app/uninstalled delivery, or its Admin API "
                  "answering 401 for the store's token). A shop/redact erases the store only once this is set.",
    )
    api_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    api_token_prefix = models.CharField(max_length=12, blank=True, editable=False)
    abandonment_delay = models.DurationField(
        default=timedelta(minutes=10),
        help_text="A checkout untouched this long after its last update is abandoned.",
    )
    friction_abandonment_delay = models.DurationField(
        default=timedelta(minutes=3),
        help_text="Shorter delay for checkouts with a failed payment or an error.",
    )
    attribution_window = models.DurationField(
        default=timedelta(days=7),
        help_text="An order from the same customer this long after abandonment recovers the cart; the last "
                  "contact attempt in that window is credited.",
    )
    control_group_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.050"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text="Share of carts, chosen at random when they arrive, that nobody contacts: the baseline the "
                  "dashboards measure the team's lift against (0 to 0.5).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.shop_domain = self.shop_domain.strip().lower()
        super().save(*args, **kwargs)

    def issue_api_token(self) -> str:
        """Set a new API token and return it in clear; only its hash is stored."""
        token = f"crs_{secrets.token_urlsafe(32)}"
        self.api_token_hash = hash_api_token(token)
        self.api_token_prefix = token[:12]
        return token
