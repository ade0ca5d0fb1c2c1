from __future__ import annotations

from django.urls import path

from loyalty.views import early_access

app_name = "loyalty"

urlpatterns = [
    path("early-access/", early_access.early_access, name="early_access"),
]
