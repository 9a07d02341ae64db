from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("decisions/", views.decision_list, name="decision-list"),
]
