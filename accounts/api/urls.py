from __future__ import annotations

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/tokens/", views.ApiTokenListApi.as_view(), name="me-tokens"),
    path("me/tokens/<int:token_id>/", views.ApiTokenDetailApi.as_view(), name="me-token-detail"),
]
