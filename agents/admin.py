from django.contrib import admin

from agents.models import AgentProfile


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "languages", "is_available")
    filter_horizontal = ("stores",)
