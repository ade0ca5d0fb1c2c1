"""The program's pages, under /rewards/. Each part adds its own view
module's `urlpatterns` here; loyalty.views.sections adds its blocks to the
Rewards page on import."""

from __future__ import annotations

from django.urls import path

from loyalty.views import (
    bounties,
    catalogue,
    early_access,
    leaderboards,
    rewards,
    sections,  # noqa: F401 - adds the Rewards page's blocks
)

app_name = "loyalty"

urlpatterns: list = [
    *rewards.urlpatterns,
    *catalogue.urlpatterns,
    *bounties.urlpatterns,
    path("early-access/", early_access.early_access, name="early_access"),
    path("leaderboards/", leaderboards.leaderboards, name="leaderboards"),
]
