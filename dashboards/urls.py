from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/", views.dashboard, name="dashboard"),
    path("dashboards/live/", views.live, name="live"),
    path("dashboards/live/hand/", views.live_hand, name="live-hand"),
    path("dashboards/live/notice/", views.live_notice, name="live-notice"),
]
