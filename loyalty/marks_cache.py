"""The cache behind the marks beside members' names (loyalty.marks): a
member's marks are read again after their tier or badges change, everyone's
after staff edit a tier or a badge (loyalty.stamped_cache explains why a
change can never leave them stale)."""

from __future__ import annotations

from loyalty.stamped_cache import StampedCache

MARKS_SECONDS = 3600

marks = StampedCache("loyalty:marks", MARKS_SECONDS)


def profile_sections_cache(language: str) -> StampedCache:
    """The tier and badges on a member's public profile, rendered in
    `language`. They show what the marks show, so they share the marks'
    stamps: every change that reads the marks again reads these again."""
    return StampedCache("loyalty:marks", MARKS_SECONDS, value_prefix=f"loyalty:profile:{language}")


def marks_changed(*, user_id: int) -> None:
    """The member's tier or badges changed: read them again after the commit."""
    marks.changed(user_id=user_id)


def marks_many_changed(*, user_ids) -> None:
    """`marks_changed` for many members (one cache call after the commit)."""
    marks.changed_many(user_ids=user_ids)


def all_marks_changed() -> None:
    """A tier or badge was edited: every member's marks are read again."""
    marks.all_changed()


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
