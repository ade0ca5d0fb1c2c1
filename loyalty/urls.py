"""The program's pages, under /rewards/. Each part adds its own view
module's `urlpatterns` here."""

from __future__ import annotations

from loyalty.views import rewards

app_name = "loyalty"

urlpatterns: list = [
    *rewards.urlpatterns,
]
