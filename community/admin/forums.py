"""The forums in the admin: categories (ordered), threads with the
moderators' tools (through the services, so each is audited), and posts
with the moderation actions every kind of content has."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from community.admin.moderation import ContentAdminMixin
from community.models import ForumCategory, Post, Thread
from community.permissions import is_moderator
from community.services import forums as services
from core.exceptions import ApplicationError
from shop.admin import LanguageLabelsMixin


@admin.register(ForumCategory)
class ForumCategoryAdmin(LanguageLabelsMixin, TranslationAdmin):
    list_display = ("name", "position", "slug", "thread_count", "post_count", "last_post_at")
    list_editable = ("position",)
    search_fields = ("name_en", "name_ind", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("shop_category", "product")
    readonly_fields = ("thread_count", "post_count", "last_post_at")
    fields = (
        "name",
        "slug",
        "description",
        "position",
        "shop_category",
        "product",
        *readonly_fields,
    )
    ordering = ("position", "name")


class ThreadActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    category = forms.ModelChoiceField(
        label=_("Move to"), queryset=ForumCategory.objects.all(), required=False
    )


class PostInline(admin.TabularInline):
    model = Post
    fields = ("number", "author", "status", "excerpt", "like_count", "flag_count")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("number",)

    @admin.display(description=_("text"))
    def excerpt(self, post: Post) -> str:
        return " ".join(post.body_md.split())[:120]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    action_form = ThreadActionForm
    list_display = (
        "title",
        "category",
        "author",
        "status",
        "pinned",
        "locked",
        "closed",
        "reply_count",
        "last_post_at",
    )
    list_filter = ("category", "status", "pinned", "locked", "closed")
    search_fields = ("title", "author__email", "author__display_name")
    list_select_related = ("category", "author")
    autocomplete_fields = ("product",)
    readonly_fields = (
        "category",
        "author",
        "status",
        "pinned",
        "locked",
        "closed",
        "reply_count",
        "like_count",
        "last_number",
        "last_post_at",
        "created_at",
    )
    fields = ("title", "slug", "product", "tags", *readonly_fields)
    inlines = (PostInline,)
    actions = ("pin", "unpin", "lock", "unlock", "close", "reopen", "move")

    def has_add_permission(self, request) -> bool:
        return False  # threads are started by members, through the site

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user) or super().has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # delete the opening post instead (kept, audited)

    def _run(self, request, queryset, fn, done, **kwargs):
        if not is_moderator(request.user):
            raise PermissionDenied
        reason = request.POST.get("reason", "")
        count = 0
        for thread in queryset:
            try:
                fn(thread=thread, moderator=request.user, reason=reason, **kwargs)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            count += 1
        self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Pin"))
    def pin(self, request, queryset):
        self._run(request, queryset, services.thread_pin, gettext("%(count)d pinned."))

    @admin.action(description=_("Unpin"))
    def unpin(self, request, queryset):
        self._run(
            request, queryset, services.thread_pin, gettext("%(count)d unpinned."), pinned=False
        )

    @admin.action(description=_("Lock (no replies, no edits)"))
    def lock(self, request, queryset):
        self._run(request, queryset, services.thread_lock, gettext("%(count)d locked."))

    @admin.action(description=_("Unlock"))
    def unlock(self, request, queryset):
        self._run(
            request, queryset, services.thread_lock, gettext("%(count)d unlocked."), locked=False
        )

    @admin.action(description=_("Close (no new replies)"))
    def close(self, request, queryset):
        self._run(request, queryset, services.thread_close, gettext("%(count)d closed."))

    @admin.action(description=_("Reopen"))
    def reopen(self, request, queryset):
        self._run(
            request, queryset, services.thread_close, gettext("%(count)d reopened."), closed=False
        )

    @admin.action(description=_("Move to the chosen category"))
    def move(self, request, queryset):
        category = ForumCategory.objects.filter(pk=request.POST.get("category") or 0).first()
        if category is None:
            self.message_user(request, gettext("Choose a category to move to."), messages.ERROR)
            return
        self._run(
            request, queryset, services.thread_move, gettext("%(count)d moved."), category=category
        )


@admin.register(Post)
class PostAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "thread",
        "author",
        "status",
        "like_count",
        "flag_count",
        "created_at",
    )
    list_filter = ("status", "thread__category", "verified_owner")
    search_fields = ("body_md", "thread__title", "author__email", "author__display_name")
    list_select_related = ("thread", "author")
    readonly_fields = (
        "thread",
        "number",
        "author",
        "reply_to",
        "status",
        "body_md",
        "like_count",
        "verified_owner",
        "flag_count",
        "published_at",
        "edited_at",
        "edit_count",
        "moderation_history",
    )
    fields = readonly_fields
    actions = ContentAdminMixin.moderation_actions

    def has_add_permission(self, request) -> bool:
        return False
