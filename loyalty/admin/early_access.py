"""Early-access drops in the admin. The products are the shop's: staff give
their ids, checked against the shop's catalogue through PRODUCT_CARDS (the
admin reads no shop table), and the form shows their names."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import hooks
from loyalty.models import EarlyAccessDrop, EarlyAccessNotice


def _cards(product_ids) -> list[dict]:
    if not product_ids:
        return []
    return hooks.call_first(hooks.PRODUCT_CARDS, list(product_ids), default=[]) or []


class ProductIdsField(forms.CharField):
    """Product ids, separated by commas or spaces: "12, 15 31"."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(pk) for pk in value)
        return value

    def to_python(self, value) -> list[int]:
        text = super().to_python(value) or ""
        ids: list[int] = []
        for part in text.replace(",", " ").split():
            if not part.isdigit() or int(part) <= 0:
                raise forms.ValidationError(
                    gettext("“%(value)s” is not a product id.") % {"value": part}
                )
            if int(part) not in ids:
                ids.append(int(part))
        return ids


class EarlyAccessDropForm(forms.ModelForm):
    product_ids = ProductIdsField(
        label=_("products"),
        required=True,
        help_text=_(
            "The ids of the products the drop opens early, separated by commas (a "
            "product's id is in its address in the shop's admin). Each must be published."
        ),
    )

    class Meta:
        model = EarlyAccessDrop
        fields = [
            "name",
            "description",
            "product_ids",
            "opens_at",
            "audience",
            "tier",
            "badge",
            "is_active",
        ]

    def clean_product_ids(self) -> list[int]:
        ids = self.cleaned_data["product_ids"]
        found = {card["id"] for card in _cards(ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise forms.ValidationError(
                gettext("No published product has the id %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in missing)}
            )
        return ids


@admin.register(EarlyAccessDrop)
class EarlyAccessDropAdmin(admin.ModelAdmin):
    form = EarlyAccessDropForm
    list_display = ("name", "opens_at", "audience", "tier", "badge", "product_count", "is_active")
    list_filter = ("is_active", "audience")
    search_fields = ("name", "tier", "badge")
    readonly_fields = ("products",)
    date_hierarchy = "opens_at"

    @admin.display(description=_("products"))
    def product_count(self, obj: EarlyAccessDrop) -> int:
        return len(obj.product_ids or [])

    @admin.display(description=_("products' names and launch"))
    def products(self, obj: EarlyAccessDrop):
        cards = _cards(obj.product_ids if obj and obj.pk else [])
        if not cards:
            return "-"
        return format_html_join(
            "",
            '<div><a href="{}">{}</a> (#{}) · {}</div>',
            (
                (
                    card["url"],
                    card["name"],
                    card["id"],
                    card["launch_at"] or gettext("launched"),
                )
                for card in cards
            ),
        )


@admin.register(EarlyAccessNotice)
class EarlyAccessNoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "drop", "user")
    list_filter = ("drop",)
    search_fields = ("user__email", "drop__name")
    list_select_related = ("drop", "user")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
