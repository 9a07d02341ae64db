from django import forms
from django.contrib import admin, messages
from django.db import transaction

from recovery.models import (
    Cart,
    CartEvent,
    CartLineItem,
    Customer,
    MessageTemplate,
    PriorityPolicy,
    RecoveryMessage,
    Store,
    WebhookDelivery,
)
from recovery.services import delivery_process


def _write_only(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(required=False, strip=True, max_length=255, label=label, help_text=help_text,
                           widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))


class StoreAdminForm(forms.ModelForm):
    """A store's secrets are write-only: typed in, never shown back (a screenshot or a shoulder must not leak what
    signs a store's webhooks or reads its orders); left blank, the stored one is kept; a box removes it.

    No Meta: the admin builds it with the model and every field, so fields added to Store later appear too.
    """

    SECRETS = ("webhook_secret", "shopify_admin_access_token")

    webhook_secret = _write_only(
        "Webhook secret",
        "Write-only: signs this store's webhooks (WooCommerce's webhook secret; for Shopify, blank uses "
        "SHOPIFY_API_SECRET). Leave blank to keep the stored secret.",
    )
    remove_webhook_secret = forms.BooleanField(required=False, label="Remove the stored webhook secret")
    shopify_admin_access_token = _write_only(
        "Shopify Admin API access token",
        "Write-only (read_orders scope): lets the reconciliation read the abandoned checkouts no webhook "
        "brought. Leave blank to keep the stored token.",
    )
    remove_shopify_admin_access_token = forms.BooleanField(required=False, label="Remove the stored access token")

    def clean(self):
        cleaned = super().clean()
        for name in self.SECRETS:
            if cleaned.get(f"remove_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        return cleaned


def _secret_hint(secret: str) -> str:
    """Enough to tell which secret is stored, never enough to use it."""
    return f"…{secret[-4:]} (set)" if len(secret) > 8 else ("set" if secret else "none")


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    form = StoreAdminForm
    list_display = ("name", "platform", "shop_domain", "currency", "timezone", "is_active", "api_token_prefix")
    list_filter = ("platform", "is_active")
    search_fields = ("name", "shop_domain")
    readonly_fields = ("api_token_prefix", "created_at", "webhook_secret_hint", "shopify_access_token_hint",
                       "shopify_reconciled_through", "uninstalled_at")
    actions = ["issue_api_token"]

    @admin.display(description="Stored webhook secret")
    def webhook_secret_hint(self, obj) -> str:
        return _secret_hint(obj.webhook_secret if obj else "")

    @admin.display(description="Stored Shopify access token")
    def shopify_access_token_hint(self, obj) -> str:
        return _secret_hint(obj.shopify_admin_access_token if obj else "")

    @admin.action(description="Issue a new REST API token (revokes the old one)")
    def issue_api_token(self, request, queryset):
        for store in queryset:
            token = store.issue_api_token()
            store.save(update_fields=["api_token_hash", "api_token_prefix"])
            message = f"{store.name}: new API token {token} (shown once; copy it now)."
            self.message_user(request, message, messages.WARNING)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "store", "email", "phone", "phone_invalid", "country", "region")
    list_filter = ("store", "phone_invalid", "accepts_sms_marketing", "accepts_email_marketing")
    search_fields = ("email", "phone", "last_name", "external_id")


class CartLineItemInline(admin.TabularInline):
    model = CartLineItem
    extra = 0
    can_delete = False
    readonly_fields = ("title", "sku", "variant", "quantity", "unit_price")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class CartEventInline(admin.TabularInline):
    model = CartEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "source", "detail")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecoveryMessageInline(admin.TabularInline):
    """The automated sequence's steps, as sent (read-only: the sequence writes them)."""

    model = RecoveryMessage
    extra = 0
    can_delete = False
    readonly_fields = ("step", "channel", "status", "recipient", "sent_at", "provider_id", "detail", "tries")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ("pk", "store", "customer", "status", "total_value", "currency", "abandoned_at")
    list_filter = ("status", "store", "payment_failed")
    search_fields = ("checkout_token", "external_id", "customer__email", "customer__phone")
    list_select_related = ("store", "customer")
    raw_id_fields = ("customer",)
    readonly_fields = ("raw_payload", "created_at", "updated_at")
    readonly_fields += ("call_attempts", "next_call_at", "calls_ended_at", "next_message_step", "next_message_at")
    inlines = [CartLineItemInline, RecoveryMessageInline, CartEventInline]
    date_hierarchy = "abandoned_at"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The inbox: read-only, with a replay action for failed deliveries."""

    list_display = ("pk", "platform", "store", "topic", "status", "attempts", "outcome", "received_at", "processed_at")
    list_filter = ("status", "platform", "topic", "store")
    search_fields = ("dedup_key", "event_id", "outcome")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields] + ["body_text"]
    exclude = ("raw_body",)
    actions = ["replay"]

    @admin.display(description="Body")
    def body_text(self, obj):
        return bytes(obj.raw_body).decode(errors="replace")[:200000]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay the selected deliveries now")
    def replay(self, request, queryset):
        results = {}
        for delivery_id in queryset.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                delivery = delivery_process(delivery_id=delivery_id, replay=True)
            status = delivery.status if delivery else "busy"
            results[status] = results.get(status, 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in sorted(results.items()))
        self.message_user(request, f"Replayed: {summary}.")


@admin.register(PriorityPolicy)
class PriorityPolicyAdmin(admin.ModelAdmin):
    """Thresholds and weights of the routing tree and the score, per store."""

    list_display = ("store", "call_first_min_value", "high_value_customer_min", "escalate_after", "freshness_half_life")
    list_select_related = ("store",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """A store's own wording for a step of the automated sequence (else the shipped templates are used)."""

    list_display = ("store", "step", "channel", "subject")
    list_filter = ("store", "channel", "step")
