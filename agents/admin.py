from django.contrib import admin

from agents.models import AgentProfile, Call, Callback, DraftOrder, FrictionReason, ValuePoint


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    """An agent's stores are those they call for; a supervisor's, the stores they see."""

    list_display = ("user", "store_names", "languages", "is_available")
    filter_horizontal = ("stores",)
    search_fields = ("user__username", "user__first_name", "user__last_name")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("stores")

    @admin.display(description="Stores")
    def store_names(self, profile: AgentProfile) -> str:
        return ", ".join(store.name for store in profile.stores.all()) or "every store"


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("cart", "agent", "local_time", "customer_timezone", "due_at", "status", "handed_to")
    list_filter = ("status",)
    raw_id_fields = ("cart",)


@admin.register(FrictionReason)
class FrictionReasonAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "store", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("store", "is_active")


@admin.register(ValuePoint)
class ValuePointAdmin(admin.ModelAdmin):
    list_display = ("text", "store", "product_keyword", "position", "is_active")
    list_filter = ("store", "is_active")


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Calls as the console recorded them (read-only: the console writes them)."""

    list_display = ("opened_at", "agent", "cart", "answer", "disposition", "line_status", "duration_seconds")
    list_filter = ("disposition", "answer")
    list_select_related = ("agent", "cart")
    raw_id_fields = ("cart", "attempt")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(DraftOrder)
class DraftOrderAdmin(admin.ModelAdmin):
    list_display = ("pk", "cart", "amount", "currency", "status", "created_by", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("cart", "call")
