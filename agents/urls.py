from django.urls import path

from agents.views import script, team

app_name = "agents"

urlpatterns = [
    path("", team.team, name="team"),
    path("script/", script.script_settings, name="script"),
    path("script/<str:kind>/<int:pk>/", script.script_item_edit, name="script-edit"),
    path("script/lines/<int:store_id>/<str:line>/", script.script_line, name="script-line"),
    path("script/lines/<int:store_id>/<str:line>/preview/", script.script_line_preview, name="script-line-preview"),
]
