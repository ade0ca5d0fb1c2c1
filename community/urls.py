"""The community's pages, under /community/. Each kind of content adds its
own urlconf module here."""

from __future__ import annotations

from django.urls import include, path  # noqa: F401

app_name = "community"

urlpatterns: list = []
