"""Rewards in the admin: the catalogue staff edit, and the codes members
bought (read-only: only the program writes them)."""

from __future__ import annotations

from django.contrib import admin

from loyalty.admin.ledger import ReadOnlyAdmin
from loyalty.models import Reward, RewardRedemption


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "value",
        "points_price",
        "stock",
        "bought_count",
        "limit_per_member",
        "starts_at",
        "ends_at",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "description")
    readonly_fields = ("bought_count",)


@admin.register(RewardRedemption)
class RewardRedemptionAdmin(ReadOnlyAdmin):
    list_display = ("code", "reward", "user", "points", "status", "order_id", "created_at")
    list_filter = ("status", "reward", "created_at")
    search_fields = ("code", "user__email", "user__display_name", "reward__name")
    list_select_related = ("reward", "user")
