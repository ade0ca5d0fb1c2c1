"""The REST API, mounted at /api/v1/. Each app adds its own api/urls.py."""

from __future__ import annotations

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("accounts.api.urls")),
]
