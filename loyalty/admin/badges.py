"""Badges and challenges in the admin."""

from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from loyalty.marks_cache import MarksEditedAdminMixin, marks_changed
from loyalty.models import Badge, Challenge, ChallengeCompletion, MemberBadge


@admin.register(Badge)
class BadgeAdmin(MarksEditedAdminMixin, TranslationAdmin):
    list_display = ("name", "code", "level", "criterion", "rule", "threshold", "enabled", "order")
    list_editable = ("enabled", "order")
    list_filter = ("level", "criterion", "enabled")
    search_fields = ("name", "code", "rule")
    prepopulated_fields = {"code": ("name",)}


@admin.register(MemberBadge)
class MemberBadgeAdmin(admin.ModelAdmin):
    list_display = ("awarded_at", "user", "badge", "note")
    list_filter = ("badge",)
    search_fields = ("user__email", "user__display_name", "badge__name")
    list_select_related = ("user", "badge")
    autocomplete_fields = ("user",)
    readonly_fields = ("awarded_at",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # A badge given or taken back here shows (or no longer shows) next to
    # the member's name and on their profile.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        marks_changed(user_id=obj.user_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        marks_changed(user_id=obj.user_id)

    def delete_queryset(self, request, queryset):
        user_ids = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        for user_id in user_ids:
            marks_changed(user_id=user_id)


@admin.register(Challenge)
class ChallengeAdmin(TranslationAdmin):
    list_display = ("name", "rule", "target", "starts_at", "ends_at", "bonus_points", "enabled")
    list_filter = ("enabled", "rule")
    search_fields = ("name", "rule")
    autocomplete_fields = ("badge",)


@admin.register(ChallengeCompletion)
class ChallengeCompletionAdmin(admin.ModelAdmin):
    list_display = ("completed_at", "user", "challenge")
    list_filter = ("challenge",)
    search_fields = ("user__email", "challenge__name")
    list_select_related = ("user", "challenge")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
