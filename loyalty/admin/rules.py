"""Earning rules in the admin: what each trigger earns and its limits."""

from __future__ import annotations

from django.contrib import admin

from loyalty.models import EarningRule


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "enabled",
        "points",
        "points_per_unit",
        "daily_cap",
        "lifetime_cap",
        "min_trust_level",
        "updated_at",
    )
    list_editable = ("enabled", "points", "daily_cap", "lifetime_cap", "min_trust_level")
    list_filter = ("enabled", "min_trust_level")
    search_fields = ("code",)
    fields = (
        "code",
        "enabled",
        "points",
        "points_per_unit",
        "daily_cap",
        "lifetime_cap",
        "min_trust_level",
    )

    def get_readonly_fields(self, request, obj=None):
        # The code names the trigger the handlers look up: fixed once made.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # disable a rule instead: its awards keep naming it
