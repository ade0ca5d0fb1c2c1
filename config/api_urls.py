"""The REST API, mounted at /api/v1/. Each app adds its own api/urls.py."""

from __future__ import annotations

from django.urls import include, path, re_path

from core.api.views import not_found

app_name = "api"

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("shop/", include("shop.api.urls")),
    path("community/", include("community.api.urls")),
    path("notifications/", include("core.notifications.api_urls")),
    path("loyalty/", include("loyalty.api.urls")),
    # Unknown API URLs answer in the API's error shape, not an HTML page;
    # [\s\S], not ".", so that a path holding a newline (%0A) is caught too.
    re_path(r"^[\s\S]*$", not_found),
]
