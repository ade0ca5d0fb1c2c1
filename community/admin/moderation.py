from __future__ import annotations

import difflib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import (
    CommunitySettings,
    ContentStatus,
    Flag,
    MemberProfile,
    ModerationAction,
    QueueItem,
    Revision,
)
from community.permissions import is_moderator
from community.services import members as member_services
from community.services import moderation as services
from community.services.forums import quote_attributions_localise
from core.exceptions import ApplicationError


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Recorded in the moderation history and shown to the author."),
    )


def _content_admin_url(content_type_id: int, object_id: int) -> str | None:
    content_type = ContentType.objects.get_for_id(content_type_id)
    try:
        return reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change", args=[object_id]
        )
    except NoReverseMatch:
        return None


def _run_on_contents(modeladmin, request, queryset, fn, done_message):
    if not is_moderator(request.user):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    done = 0
    for item in queryset:
        content = services.content_for(
            content_type_id=item.content_type_id, object_id=item.object_id
        )
        if content is None:
            continue
        try:
            fn(content=content, moderator=request.user, reason=reason)
        except ApplicationError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
            continue
        done += 1
    modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "all":
            return queryset
        return queryset.filter(state=value)

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(QueueItem)
class QueueItemAdmin(admin.ModelAdmin):
    """The one moderation queue: content held for approval and content
    members flagged, of every kind."""

    action_form = ReasonActionForm
    list_display = ("excerpt_link", "kind", "reason", "flag_count", "author", "age", "state")
    list_filter = (OpenFilter, "reason", "kind")
    search_fields = ("excerpt", "author__email", "author__display_name")
    list_select_related = ("author",)
    readonly_fields = (
        "kind",
        "reason",
        "state",
        "author",
        "excerpt",
        "flag_count",
        "content_preview",
        "flags_list",
        "history",
        "resolved_by",
        "resolved_at",
        "resolution",
        "created_at",
    )
    fields = readonly_fields
    actions = ("approve", "agree", "disagree", "ignore", "delete_content")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user)

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user)

    @admin.display(description=_("content"), ordering="excerpt")
    def excerpt_link(self, item: QueueItem):
        return item.excerpt or "—"

    @admin.display(description=_("waiting since"), ordering="created_at")
    def age(self, item: QueueItem) -> str:
        from django.utils.timesince import timesince

        return timesince(item.created_at, timezone.now())

    @admin.display(description=_("content"))
    def content_preview(self, item: QueueItem):
        content = services.content_for(
            content_type_id=item.content_type_id, object_id=item.object_id
        )
        if content is None:
            return gettext("This content no longer exists.")
        url = _content_admin_url(item.content_type_id, item.object_id)
        link = format_html('<p><a href="{}">{}</a></p>', url, gettext("Open it")) if url else ""
        return format_html(
            '<p><strong>{}</strong> · {}</p><div class="community-preview">{}</div>{}',
            content.get_status_display(),
            getattr(content, "title", "") or "",
            mark_safe(quote_attributions_localise(content.body_html)),
            link,
        )

    @admin.display(description=_("flags"))
    def flags_list(self, item: QueueItem):
        flags = Flag.objects.filter(
            content_type_id=item.content_type_id, object_id=item.object_id
        ).select_related("flagger")
        if not flags:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {} {}</li>",
                (
                    (f.flagger.public_name, f.get_reason_display(), f.get_status_display(), f.note)
                    for f in flags
                ),
            ),
        )

    @admin.display(description=_("history"))
    def history(self, item: QueueItem):
        return revisions_and_actions(item.content_type_id, item.object_id)

    @admin.action(description=_("Approve (publish) the selected content"))
    def approve(self, request, queryset):
        _run_on_contents(
            self, request, queryset, services.content_approve, gettext("%(count)d approved.")
        )

    @admin.action(description=_("Agree with the flags: hide"))
    def agree(self, request, queryset):
        def hide(*, content, moderator, reason):
            services.content_dismiss_flags(
                content=content, moderator=moderator, reason=reason, agree=True
            )

        _run_on_contents(self, request, queryset, hide, gettext("%(count)d hidden."))

    @admin.action(description=_("Disagree with the flags: keep or restore"))
    def disagree(self, request, queryset):
        _run_on_contents(
            self,
            request,
            queryset,
            services.content_restore,
            gettext("%(count)d kept or restored."),
        )

    @admin.action(description=_("Ignore the flags (change nothing)"))
    def ignore(self, request, queryset):
        _run_on_contents(
            self, request, queryset, services.content_dismiss_flags, gettext("%(count)d dismissed.")
        )

    @admin.action(description=_("Delete the selected content"))
    def delete_content(self, request, queryset):
        def remove(*, content, moderator, reason):
            services.content_remove(content=content, actor=moderator, reason=reason)

        _run_on_contents(self, request, queryset, remove, gettext("%(count)d deleted."))


def display_time(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def display_name(user) -> str:
    return user.public_name if user is not None else "—"


def text_diff(*, old: str, new: str, heading: list[str], note: str = ""):
    """One change of a text as a unified diff under a heading (when · who)."""
    diff = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        lineterm="",
        n=1,
        fromfile=gettext("before"),
        tofile=gettext("after"),
    )
    return format_html(
        '<p>{}</p>{}<pre class="community-diff">{}</pre>',
        " · ".join(heading),
        format_html('<p class="help">{}</p>', note) if note else "",
        "\n".join(diff),
    )


def revisions_and_actions(content_type_id: int, object_id: int):
    """The moderation history of one piece of content and its edits, each
    edit as a diff against the text that followed it."""
    actions = ModerationAction.objects.filter(
        content_type_id=content_type_id, object_id=object_id
    ).select_related("moderator")
    parts = [
        format_html(
            "<li>{} · {} · {} {}</li>",
            timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
            a.moderator.public_name if a.moderator else gettext("System"),
            a.get_action_display(),
            a.reason,
        )
        for a in actions
    ]
    content = services.content_for(content_type_id=content_type_id, object_id=object_id)
    revisions = list(Revision.objects.filter(content_type_id=content_type_id, object_id=object_id))
    newer = content.revision_fields() if content is not None else {}
    diffs = []
    for revision in revisions:  # newest first
        for name, old in revision.fields.items():
            new = newer.get(name, "")
            if old == new:
                continue
            diffs.append(
                text_diff(
                    old=old,
                    new=new,
                    heading=[display_time(revision.created_at), display_name(revision.editor)],
                )
            )
        newer = revision.fields
    if not parts and not diffs:
        return "—"
    return format_html(
        "<ul>{}</ul>{}",
        mark_safe("".join(parts)),
        mark_safe("".join(diffs)),
    )


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("kind", "object_id", "reason", "flagger", "status", "created_at")
    list_filter = ("status", "reason", "kind")
    search_fields = ("flagger__email", "note")
    list_select_related = ("flagger",)
    readonly_fields = [f.name for f in Flag._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit history: read only, kept."""

    list_display = ("created_at", "moderator_name", "action", "kind", "excerpt", "member", "reason")
    list_filter = ("action", "kind")
    search_fields = ("excerpt", "reason", "moderator__email", "member__email")
    list_select_related = ("moderator", "member")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ModerationAction._meta.fields]

    @admin.display(description=_("moderator"))
    def moderator_name(self, action: ModerationAction) -> str:
        return action.moderator.public_name if action.moderator else gettext("System")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CommunitySettings)
class CommunitySettingsAdmin(admin.ModelAdmin):
    fieldsets = (
        (
            _("Trust levels"),
            {
                "fields": (
                    "tl1_min_days",
                    "tl1_min_published",
                    "tl2_min_days",
                    "tl2_min_published",
                    "buyers_trusted",
                )
            },
        ),
        (
            _("New members"),
            {
                "fields": (
                    "new_require_approval",
                    "links_require_approval",
                    "new_max_per_day",
                    "new_max_links",
                    "new_max_images",
                    "new_max_mentions",
                )
            },
        ),
        (
            _("Everyone"),
            {
                "fields": (
                    "max_per_day",
                    "seconds_between_posts",
                    "max_mentions",
                    "flags_to_hide",
                    "edit_window_minutes",
                )
            },
        ),
    )

    def has_add_permission(self, request) -> bool:
        return not CommunitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        from django.shortcuts import redirect

        settings_row = CommunitySettings.current()
        return redirect(reverse("admin:community_communitysettings_change", args=[settings_row.pk]))


class RestrictForm(ActionForm):
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=3650)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class RestrictedFilter(admin.SimpleListFilter):
    title = _("standing")
    parameter_name = "standing"

    def lookups(self, request, model_admin):
        return [("restricted", _("Silenced or banned"))]

    def queryset(self, request, queryset):
        if self.value() == "restricted":
            now = timezone.now()
            return queryset.filter(Q(silenced_until__gt=now) | Q(banned_until__gt=now))
        return queryset


@admin.register(MemberProfile)
class MemberProfileAdmin(admin.ModelAdmin):
    action_form = RestrictForm
    list_display = (
        "handle",
        "user",
        "trust_level",
        "published_count",
        "silenced_until",
        "banned_until",
    )
    list_filter = ("trust_level", "trust_level_locked", RestrictedFilter)
    search_fields = ("handle", "user__email", "user__display_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = (
        "published_count",
        "posts_day",
        "posts_today",
        "last_posted_at",
        "silenced_until",
        "banned_until",
        "standing_reason",
        "created_at",
    )
    fields = ("user", "handle", "trust_level", "trust_level_locked", *readonly_fields)
    actions = ("silence", "ban", "lift")

    def has_add_permission(self, request) -> bool:
        return False

    def _restrict(self, request, queryset, action: str, done: str):
        if not is_moderator(request.user):
            raise PermissionDenied
        days = request.POST.get("days") or ""
        until = None
        if action != ModerationAction.Action.LIFT:
            if not days.isdigit() or int(days) < 1:
                self.message_user(request, gettext("Give a number of days."), messages.ERROR)
                return
            until = timezone.now() + timezone.timedelta(days=int(days))
        count = 0
        for profile in queryset.select_related("user"):
            try:
                member_services.member_restrict(
                    moderator=request.user,
                    user=profile.user,
                    action=action,
                    until=until,
                    reason=request.POST.get("reason", ""),
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
            count += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Silence for the given days (can read, cannot post)"))
    def silence(self, request, queryset):
        self._restrict(
            request, queryset, ModerationAction.Action.SILENCE, gettext("%(count)d silenced.")
        )

    @admin.action(description=_("Ban for the given days (cannot post or vote)"))
    def ban(self, request, queryset):
        self._restrict(request, queryset, ModerationAction.Action.BAN, gettext("%(count)d banned."))

    @admin.action(description=_("Lift silence and ban"))
    def lift(self, request, queryset):
        self._restrict(
            request, queryset, ModerationAction.Action.LIFT, gettext("%(count)d lifted.")
        )


class ContentAdminMixin:
    """For each kind's ModelAdmin: status filter, moderation actions with a
    reason, and the history with diffs on the change page."""

    action_form = ReasonActionForm
    moderation_actions = ("approve_content", "hide_content", "restore_content", "delete_content")

    # Moderators see every kind's content (the queue links to it) without
    # the model's own view permission.
    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user) or super().has_module_permission(request)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_moderator(request.user):
            for name in self.moderation_actions:
                actions.pop(name, None)
        return actions

    @admin.display(description=_("moderation history"))
    def moderation_history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        content_type = ContentType.objects.get_for_model(type(obj))
        return revisions_and_actions(content_type.pk, obj.pk)

    def _moderate(self, request, queryset, fn, done):
        if not is_moderator(request.user):
            raise PermissionDenied
        reason = request.POST.get("reason", "")
        count = 0
        for content in queryset:
            try:
                fn(content=content, moderator=request.user, reason=reason)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            count += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Approve (publish)"))
    def approve_content(self, request, queryset):
        self._moderate(request, queryset, services.content_approve, gettext("%(count)d approved."))

    @admin.action(description=_("Hide"))
    def hide_content(self, request, queryset):
        self._moderate(request, queryset, services.content_hide, gettext("%(count)d hidden."))

    @admin.action(description=_("Restore"))
    def restore_content(self, request, queryset):
        self._moderate(request, queryset, services.content_restore, gettext("%(count)d restored."))

    @admin.action(description=_("Delete"))
    def delete_content(self, request, queryset):
        def remove(*, content, moderator, reason):
            services.content_remove(content=content, actor=moderator, reason=reason)

        self._moderate(request, queryset, remove, gettext("%(count)d deleted."))

    def has_delete_permission(self, request, obj=None) -> bool:
        # Content is deleted through the moderation action (kept, audited),
        # never by the admin's own delete, which would skip the events.
        return False


__all__ = ["ContentAdminMixin", "ContentStatus", "display_name", "display_time", "text_diff"]
