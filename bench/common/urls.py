"""The project's URLs plus the floor view, so both are served by one gunicorn."""

from __future__ import annotations

from django.urls import path

from bench.common.floor import floor_view
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("bench/floor/", floor_view, name="bench-floor"),
]
