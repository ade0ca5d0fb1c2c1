"""The community's pages, under /community/. Each kind of content adds its
own view module's `urlpatterns` here."""

from __future__ import annotations

from community.views import forums, landing, members, moderation, polls, qa, reviews

app_name = "community"

urlpatterns: list = [
    *landing.urlpatterns,
    *moderation.urlpatterns,
    *members.urlpatterns,
    *reviews.urlpatterns,
    *forums.urlpatterns,
    *polls.urlpatterns,
    *qa.urlpatterns,
]
