from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("decisions/", views.decision_list, name="decision-list"),
    path("audit/", views.audit_list, name="audit-list"),
    path("dnc/", views.dnc_lists, name="dnc-lists"),
    path("dnc/numbers/", views.dnc_numbers, name="dnc-numbers"),
    path("dnc/imports/<int:import_id>/", views.dnc_import_detail, name="dnc-import"),
    path("dnc/imports/<int:import_id>/confirm/", views.dnc_import_decide, {"decision": "confirm"},
         name="dnc-import-confirm"),
    path("dnc/imports/<int:import_id>/cancel/", views.dnc_import_decide, {"decision": "cancel"},
         name="dnc-import-cancel"),
    path("dnc/imports/<int:import_id>/rejected.csv", views.dnc_import_rejected, name="dnc-import-rejected"),
]
