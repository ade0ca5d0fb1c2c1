"""Rewards in the admin: the catalogue staff edit, and the codes members
bought (read-only: only the program writes them)."""

from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from loyalty.admin.ledger import ReadOnlyAdmin
from loyalty.models import Reward, RewardRedemption


@admin.register(Reward)
class RewardAdmin(TranslationAdmin):
    list_display = (
        "name",
        "kind",
        "value",
        "points_price",
        "stock",
        "bought_count",
        "limit_per_member",
        "valid_days",
        "starts_at",
        "ends_at",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "description")
    readonly_fields = ("bought_count",)


@admin.register(RewardRedemption)
class RewardRedemptionAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "reward",
        "user",
        "points",
        "status",
        "order_number",
        "expires_at",
        "created_at",
    )
    list_filter = ("status", "reward", "created_at")
    search_fields = ("code", "order_number", "user__email", "user__display_name", "reward__name")
    list_select_related = ("reward", "user")
