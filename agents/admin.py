from django.contrib import admin

from agents.models import AgentProfile, Callback


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "languages", "is_available")
    filter_horizontal = ("stores",)


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("cart", "agent", "local_time", "customer_timezone", "due_at", "status", "handed_to")
    list_filter = ("status",)
    raw_id_fields = ("cart",)
