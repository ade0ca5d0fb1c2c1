"""The rewards program's API, mounted at /api/v1/loyalty/."""

from __future__ import annotations

from django.urls import path

from loyalty.api import views

urlpatterns: list = [
    path("balance/", views.BalanceApi.as_view(), name="loyalty_balance"),
    path("history/", views.HistoryApi.as_view(), name="loyalty_history"),
    path("badges/", views.BadgeListApi.as_view(), name="loyalty_badges"),
    path("challenges/", views.ChallengeListApi.as_view(), name="loyalty_challenges"),
    path("bounties/", views.BountyListApi.as_view(), name="loyalty_bounties"),
]
