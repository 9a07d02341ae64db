from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/", views.dashboard, name="dashboard"),
    path("dashboards/live/", views.live, name="live"),
]
