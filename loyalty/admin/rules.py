"""Earning rules in the admin: what each trigger earns and its limits."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from loyalty.models import EarningRule

CAP_ERROR = _("A cap is a number of points, 0 or more. Leave it blank for no cap.")


class EarningRuleForm(forms.ModelForm):
    """The rule's numbers, refused with a message that says what to enter
    (on the change page and in the list's editable columns alike)."""

    class Meta:
        model = EarningRule
        fields = [
            "code",
            "enabled",
            "points",
            "points_per_unit",
            "daily_cap",
            "lifetime_cap",
            "min_trust_level",
        ]
        error_messages = {
            "points": {"min_value": _("Points are 0 or more (disable the rule to stop it).")},
            "daily_cap": {"min_value": CAP_ERROR},
            "lifetime_cap": {"min_value": CAP_ERROR},
            "min_trust_level": {
                "min_value": _("Choose a trust level of 0, 1 or 2."),
                "max_value": _("Choose a trust level of 0, 1 or 2."),
            },
        }

    def clean_points_per_unit(self):
        value = self.cleaned_data.get("points_per_unit")
        if value is not None and value < Decimal("0"):
            raise forms.ValidationError(
                _("Points per currency unit are 0 or more."), code="negative"
            )
        return value

    def clean(self):
        cleaned = super().clean()
        # The list's editable columns send some fields only: the others are the rule's.
        daily = cleaned.get("daily_cap", self.instance.daily_cap)
        lifetime = cleaned.get("lifetime_cap", self.instance.lifetime_cap)
        if (
            "lifetime_cap" not in self.errors
            and "daily_cap" not in self.errors
            and daily is not None
            and lifetime is not None
            and lifetime < daily
        ):
            self.add_error(
                "lifetime_cap",
                forms.ValidationError(
                    _(
                        "The lifetime cap (%(lifetime)s) is below the daily cap "
                        "(%(daily)s): raise it, or lower the daily cap."
                    ),
                    code="lifetime_below_daily",
                    params={"lifetime": lifetime, "daily": daily},
                ),
            )
        return cleaned


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    form = EarningRuleForm
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

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", EarningRuleForm)
        return super().get_changelist_form(request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # disable a rule instead: its awards keep naming it
