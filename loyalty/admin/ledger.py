"""The ledger in the admin: entries and awards read-only, accounts with a
staff adjustment that asks for a reason, the program's settings."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from loyalty.admin.reports import liability_view
from loyalty.models import Award, LedgerEntry, PointsAccount, ProgramSettings
from loyalty.services.ledger import points_adjust

ADJUST_PERMISSION = "loyalty.adjust_points"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the program writes: staff look, filter and search."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "bucket", "points", "rule", "subject", "note")
    list_filter = ("kind", "bucket", "area", "rule", "created_at")
    search_fields = ("user__email", "user__display_name", "subject", "note", "rule")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_urls(self):
        # The liability report lives beside the ledger it sums up:
        # /admin/loyalty/ledgerentry/liability/.
        report = self.admin_site.admin_view(
            lambda request: liability_view(request, admin_site=self.admin_site)
        )
        return [path("liability/", report, name="loyalty_liability"), *super().get_urls()]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "rule",
        "subject",
        "points",
        "net",
        "pending",
        "available_at",
    )
    list_filter = ("rule", "area", "pending")
    search_fields = ("user__email", "user__display_name", "subject")
    list_select_related = ("user",)
    show_full_result_count = False


class AdjustForm(ActionForm):
    points = forms.IntegerField(
        label=_("Points"), required=False, help_text=_("Negative to take points away.")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


@admin.register(PointsAccount)
class PointsAccountAdmin(admin.ModelAdmin):
    action_form = AdjustForm
    actions = ("adjust",)
    list_display = ("user", "available", "pending", "debt", "earned_total", "last_activity_at")
    list_filter = ("last_activity_at",)
    search_fields = ("user__email", "user__display_name")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "available",
        "pending",
        "debt",
        "earned_total",
        "last_activity_at",
        "expiry_reminded_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=_("Adjust points by the number given, with the reason"),
        permissions=["adjust"],
    )
    def adjust(self, request, queryset):
        if not request.user.has_perm(ADJUST_PERMISSION):
            raise PermissionDenied
        raw = (request.POST.get("points") or "").strip()
        try:
            points = int(raw)
        except ValueError:
            self.message_user(request, gettext("Give a whole number of points."), messages.ERROR)
            return
        done = 0
        for account in queryset.select_related("user"):
            try:
                points_adjust(
                    user_id=account.user_id,
                    points=points,
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
            except ApplicationError as error:
                self.message_user(request, f"{account.user}: {error.message}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request, gettext("%(count)d accounts adjusted.") % {"count": done}, messages.SUCCESS
            )

    def has_adjust_permission(self, request) -> bool:
        return request.user.has_perm(ADJUST_PERMISSION)


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    fieldsets = (
        (_("Earning"), {"fields": ("return_window_days",)}),
        (
            _("Spending"),
            {"fields": ("point_value", "redeem_max_share", "redeem_minimum_points")},
        ),
        (_("Expiry"), {"fields": ("expiry_months", "expiry_reminder_days")}),
        (
            _("Tiers and leaderboards"),
            {"fields": ("tier_period", "tier_basis", "leaderboard_size")},
        ),
        (
            _("Bounties"),
            {"fields": ("bounty_days", "bounty_minimum_points", "bounty_maximum_points")},
        ),
    )

    def has_add_permission(self, request) -> bool:
        return not ProgramSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        row = ProgramSettings.current()
        return redirect(reverse("admin:loyalty_programsettings_change", args=[row.pk]))
