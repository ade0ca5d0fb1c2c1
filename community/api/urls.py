"""The community's API, mounted at /api/v1/community/. Each kind of content
adds its own module's `urlpatterns` here."""

from __future__ import annotations

from community.api import forums, moderation, polls, qa, reviews

urlpatterns: list = [
    *moderation.urlpatterns,
    *reviews.urlpatterns,
    *forums.urlpatterns,
    *polls.urlpatterns,
    *qa.urlpatterns,
]
