"""The cache behind the marks beside members' names (loyalty.marks): keys,
and forgetting a member's (or everyone's) marks after a change."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

MARKS_SECONDS = 3600
GENERATION_KEY = "loyalty:marks:generation"


def marks_key(generation: int, user_id: int) -> str:
    return f"loyalty:marks:{generation}:{user_id}"


def marks_generation() -> int:
    return cache.get(GENERATION_KEY) or 0


def marks_changed(*, user_id: int) -> None:
    """The member's tier or badges changed: read them again after the commit."""
    transaction.on_commit(lambda: cache.delete(marks_key(marks_generation(), user_id)))


def all_marks_changed() -> None:
    """A tier or badge was edited: every member's marks are read again."""

    def bump() -> None:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, None)

    transaction.on_commit(bump)


class MarksEditedAdminMixin:
    """ModelAdmin mixin for what marks show (tiers, badges)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        all_marks_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        all_marks_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        all_marks_changed()
