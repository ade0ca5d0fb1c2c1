"""Tiers in the admin: staff define them; members' tiers are read-only."""

from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from loyalty.admin.ledger import ReadOnlyAdmin
from loyalty.marks_cache import MarksEditedAdminMixin
from loyalty.models import MemberSpend, MemberTier, Tier


@admin.register(Tier)
class TierAdmin(MarksEditedAdminMixin, TranslationAdmin):
    list_display = ("name", "threshold", "multiplier", "badge_label", "colour", "order")
    list_editable = ("order",)
    search_fields = ("name", "badge_label")
    ordering = ("threshold", "order")


@admin.register(MemberTier)
class MemberTierAdmin(ReadOnlyAdmin):
    list_display = ("user", "tier", "qualifying", "reached_at", "kept_until")
    list_filter = ("tier",)
    search_fields = ("user__email", "user__display_name")
    list_select_related = ("user", "tier")


@admin.register(MemberSpend)
class MemberSpendAdmin(ReadOnlyAdmin):
    list_display = ("order_id", "user", "paid_total", "refunded_total", "cancelled", "paid_at")
    list_filter = ("cancelled",)
    search_fields = ("user__email", "order_id")
    list_select_related = ("user",)
