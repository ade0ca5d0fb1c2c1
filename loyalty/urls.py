"""The program's pages, under /rewards/. Each part adds its own view
module's `urlpatterns` here."""

from __future__ import annotations

from django.urls import path

from loyalty.views import bounties, early_access, rewards

app_name = "loyalty"

urlpatterns: list = [
    *rewards.urlpatterns,
    *bounties.urlpatterns,
    path("early-access/", early_access.early_access, name="early_access"),
]
