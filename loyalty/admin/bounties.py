"""Bounties in the admin: read-only (only the program writes them), with
one staff action, giving an open bounty's points back with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from loyalty.admin.ledger import ReadOnlyAdmin
from loyalty.models import Bounty
from loyalty.selectors.bounties import question_facts
from loyalty.services.bounties import bounty_refund

REFUND_PERMISSION = "loyalty.refund_bounty"


class RefundForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Needed to refund a bounty; the offerer is told."),
    )


@admin.register(Bounty)
class BountyAdmin(ReadOnlyAdmin):
    action_form = RefundForm
    actions = ("refund",)
    list_display = (
        "created_at",
        "question_title",
        "question_id",
        "offerer",
        "points",
        "status",
        "outcome",
        "winner",
        "deadline",
    )
    list_filter = ("status", "outcome", "created_at")
    search_fields = (
        "question_title",
        "=question_id",
        "offerer__email",
        "offerer__display_name",
        "winner__email",
        "winner__display_name",
    )
    list_select_related = ("offerer", "winner")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "question_link",
        "question_title",
        "offerer",
        "points",
        "status",
        "outcome",
        "deadline",
        "answer_id",
        "winner",
        "closed_at",
        "closed_by",
        "note",
        "source_event_id",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or request.user.has_perm(REFUND_PERMISSION)

    @admin.display(description=_("question"))
    def question_link(self, obj: Bounty):
        facts = question_facts([obj.question_id]).get(obj.question_id)
        if not facts:
            return obj.question_id
        return format_html(
            '<a href="{}">{}</a> ({})', facts["url"], facts["title"], facts["status"]
        )

    @admin.action(
        description=_("Refund the selected open bounties, with the reason"),
        permissions=["refund"],
    )
    def refund(self, request, queryset):
        if not request.user.has_perm(REFUND_PERMISSION):
            raise PermissionDenied
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            self.message_user(request, gettext("Give a reason for the refund."), messages.ERROR)
            return
        done = 0
        for bounty in queryset.order_by("pk"):
            try:
                bounty_refund(bounty_id=bounty.pk, actor=request.user, reason=reason)
            except ApplicationError as error:
                self.message_user(request, f"{bounty}: {error.message}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d bounty refunded.", "%(count)d bounties refunded.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)
