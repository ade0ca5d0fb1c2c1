"""Polls in the admin: moderation actions, options (read-only: a vote
counts an option, so labels are not rewritten under it), and closing."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin.moderation import ContentAdminMixin
from community.models import Poll, PollOption
from community.permissions import is_moderator
from community.services import polls as services
from core.exceptions import ApplicationError


class PollOptionInline(admin.TabularInline):
    model = PollOption
    extra = 0
    can_delete = False
    fields = ("position", "label", "product", "vote_count")
    readonly_fields = ("position", "label", "product", "vote_count")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Poll)
class PollAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "author",
        "status",
        "poll_type",
        "results",
        "voter_count",
        "is_open",
        "created_at",
    )
    list_filter = ("status", "poll_type", "results", "public_voters", "owners_only")
    search_fields = ("title", "body_md", "author__email", "author__display_name")
    autocomplete_fields = ("author", "product")
    inlines = [PollOptionInline]
    actions = ("close_polls",)
    readonly_fields = (
        "author",
        "status",
        "poll_type",
        "min_choices",
        "max_choices",
        "voter_count",
        "closed_at",
        "closed_by",
        "published_at",
        "flag_count",
        "edited_at",
        "edit_count",
        "moderation_history",
    )
    fields = (
        "title",
        "body_md",
        "author",
        "status",
        "poll_type",
        ("min_choices", "max_choices"),
        "results",
        "public_voters",
        ("owners_only", "product"),
        "close_at",
        ("closed_at", "closed_by"),
        "voter_count",
        ("published_at", "flag_count", "edited_at", "edit_count"),
        "moderation_history",
    )

    def has_add_permission(self, request) -> bool:
        return False  # polls are created by members, through the poll service

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewable by staff; changes go through the actions.
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_staff

    @admin.display(boolean=True, description=_("open"))
    def is_open(self, obj: Poll) -> bool:
        return not obj.is_closed

    @admin.action(description=_("Close now"))
    def close_polls(self, request, queryset):
        if not is_moderator(request.user):
            raise PermissionDenied
        closed = 0
        for poll in queryset:
            try:
                services.poll_close(poll=poll, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{poll}: {error.message}", messages.WARNING)
                continue
            closed += 1
        self.message_user(request, gettext("%(count)d closed.") % {"count": closed})
