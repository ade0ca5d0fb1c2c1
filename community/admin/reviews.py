"""Reviews in the admin: moderation with history and diffs, photos (each
moderated on its own), the shop's reply, and the read-only rating rows."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin.moderation import ContentAdminMixin, display_name, display_time, text_diff
from community.models import ProductRating, Review, ReviewPhoto, ReviewReplyRevision
from community.permissions import is_moderator
from community.services import reviews as services
from core.exceptions import ApplicationError


class ReviewPhotoInline(admin.TabularInline):
    model = ReviewPhoto
    fk_name = "review"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("preview", "status", "flag_count", "body_md", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("photo"))
    def preview(self, photo: ReviewPhoto):
        if not photo.thumb:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="80" height="80"></a>',
            photo.image.url,
            photo.thumb.url,
        )


class ReviewAdminForm(forms.ModelForm):
    reply = forms.CharField(
        label=_("Shop's reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown under the review, signed by the shop. Empty removes the reply."),
    )

    class Meta:
        model = Review
        fields: tuple = ()


@admin.register(Review)
class ReviewAdmin(ContentAdminMixin, admin.ModelAdmin):
    form = ReviewAdminForm
    list_display = (
        "title",
        "product",
        "stars",
        "author",
        "verified_buyer",
        "status",
        "helpful_count",
        "photo_count",
        "has_reply",
        "created_at",
    )
    list_filter = ("status", "stars", "verified_buyer")
    search_fields = ("title", "body_md", "product__name", "author__email", "author__display_name")
    autocomplete_fields = ("product", "author")
    list_select_related = ("product", "author")
    date_hierarchy = "created_at"
    inlines = [ReviewPhotoInline]
    readonly_fields = (
        "product",
        "author",
        "stars",
        "title",
        "body_md",
        "status",
        "verified_buyer",
        "helpful_count",
        "photo_count",
        "flag_count",
        "edit_count",
        "edited_at",
        "published_at",
        "reply_by",
        "replied_at",
        "reply_edited_at",
        "moderation_history",
        "reply_history",
        "created_at",
    )
    actions = ContentAdminMixin.moderation_actions

    def get_fieldsets(self, request, obj=None):
        review = [
            "product",
            "author",
            "stars",
            "title",
            "body_md",
            "status",
            "verified_buyer",
            "helpful_count",
            "photo_count",
            "flag_count",
            "created_at",
            "published_at",
            "edit_count",
            "edited_at",
        ]
        reply = ["reply_by", "replied_at", "reply_edited_at"]
        if services.can_reply(request.user):
            reply.insert(0, "reply")
        return [
            (None, {"fields": review}),
            (_("Shop's reply"), {"fields": reply}),
            (_("Moderation"), {"fields": ["moderation_history", "reply_history"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "reply" in form.base_fields:
            form.base_fields["reply"].initial = obj.reply_md
        return form

    def has_add_permission(self, request) -> bool:
        return False  # members write reviews; the shop replies

    def has_change_permission(self, request, obj=None) -> bool:
        return services.can_reply(request.user) or is_moderator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request) or super().has_module_permission(request)

    @admin.display(description=_("reply history"))
    def reply_history(self, review: Review):
        """Each edit or removal of the shop's reply, newest first, as a diff
        against the text that followed it."""
        if review is None or review.pk is None:
            return "—"
        revisions = ReviewReplyRevision.objects.filter(review=review).select_related(
            "editor", "reply_by"
        )
        newer = review.reply_md
        diffs = []
        for revision in revisions:  # newest first
            # A removal left no reply: a later one was written afresh.
            removed = revision.change == ReviewReplyRevision.Change.REMOVE
            diffs.append(
                text_diff(
                    old=revision.reply_md,
                    new="" if removed else newer,
                    heading=[
                        display_time(revision.created_at),
                        display_name(revision.editor),
                        revision.get_change_display(),
                    ],
                    note=gettext("Previous reply by %(name)s, written %(when)s")
                    % {
                        "name": display_name(revision.reply_by),
                        "when": display_time(revision.written_at),
                    },
                )
            )
            newer = revision.reply_md
        if not diffs:
            return "—"
        return format_html_join("", "{}", ((diff,) for diff in diffs))

    @admin.display(description=_("reply"), boolean=True)
    def has_reply(self, review: Review) -> bool:
        return bool(review.reply_md)

    def save_model(self, request, obj, form, change):
        # The review's own fields are read-only here; only the reply is
        # written, through the service (history, event, caches).
        if "reply" not in form.cleaned_data:
            return
        if not services.can_reply(request.user):
            raise PermissionDenied
        try:
            services.review_reply(review=obj, staff=request.user, text=form.cleaned_data["reply"])
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)

    def save_formset(self, request, form, formset, change):
        return  # photos are moderated from their own page, never edited inline


@admin.register(ReviewPhoto)
class ReviewPhotoAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "preview", "review", "author", "status", "flag_count", "created_at")
    list_filter = ("status",)
    search_fields = ("review__title", "author__email", "author__display_name")
    list_select_related = ("review", "author")
    autocomplete_fields = ("review", "author")
    readonly_fields = (
        "preview",
        "review",
        "author",
        "body_md",
        "status",
        "flag_count",
        "width",
        "height",
        "published_at",
        "moderation_history",
        "created_at",
    )
    fields = readonly_fields
    actions = ContentAdminMixin.moderation_actions

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user) or super().has_module_permission(request)

    @admin.display(description=_("photo"))
    def preview(self, photo: ReviewPhoto):
        if not photo.thumb:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="80" height="80"></a>',
            photo.image.url,
            photo.thumb.url,
        )


@admin.register(ProductRating)
class ProductRatingAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "avg",
        "count",
        "stars_5",
        "stars_4",
        "stars_3",
        "stars_2",
        "stars_1",
    )
    search_fields = ("product__name",)
    list_select_related = ("product",)
    readonly_fields = (
        "product",
        "count",
        "sum",
        "avg",
        "stars_1",
        "stars_2",
        "stars_3",
        "stars_4",
        "stars_5",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user) or super().has_module_permission(request)
