"""Questions and answers in the admin: moderation actions with a reason (from
ContentAdminMixin), and closing questions as duplicates."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin.moderation import ContentAdminMixin, ReasonActionForm
from community.models import Answer, BuyerQuestionRequest, Question
from community.permissions import is_moderator
from community.services import qa as services
from core.exceptions import ApplicationError


class QuestionActionForm(ReasonActionForm):
    original = forms.IntegerField(
        label=_("Original question id"),
        required=False,
        min_value=1,
        help_text=_("For “Close as a duplicate”."),
    )


class ProductQuestionFilter(admin.SimpleListFilter):
    title = _("about")
    parameter_name = "about"

    def lookups(self, request, model_admin):
        return [("product", _("A product")), ("general", _("General"))]

    def queryset(self, request, queryset):
        if self.value() == "product":
            return queryset.filter(product__isnull=False)
        if self.value() == "general":
            return queryset.filter(product__isnull=True)
        return queryset


class ClosedFilter(admin.SimpleListFilter):
    title = _("closed as duplicate")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(closed_as_duplicate_of__isnull=False)
        if self.value() == "no":
            return queryset.filter(closed_as_duplicate_of__isnull=True)
        return queryset


class ModeratorsMayModerate:
    """Moderators (community.moderate) see and edit questions and answers
    without the model permissions; other staff need those."""

    def has_module_permission(self, request) -> bool:
        return is_moderator(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_moderator(request.user) or super().has_change_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(ModeratorsMayModerate, ContentAdminMixin, admin.ModelAdmin):
    action_form = QuestionActionForm
    list_display = (
        "title",
        "product",
        "author",
        "status",
        "answer_count",
        "closed_as_duplicate_of",
        "flag_count",
        "created_at",
    )
    list_filter = ("status", ProductQuestionFilter, ClosedFilter, "created_at")
    search_fields = ("title", "body_md", "author__email", "author__display_name", "product__slug")
    list_select_related = ("author", "product", "closed_as_duplicate_of")
    autocomplete_fields = ("author", "product", "closed_as_duplicate_of")
    date_hierarchy = "created_at"
    readonly_fields = (
        "author",
        "status",
        "answer_count",
        "accepted_answer",
        "closed_as_duplicate_of",
        "closed_at",
        "closed_by",
        "flag_count",
        "published_at",
        "edited_at",
        "edit_count",
        "last_activity_at",
        "created_at",
        "moderation_history",
    )
    fields = ("title", "body_md", "product", *readonly_fields)
    actions = (*ContentAdminMixin.moderation_actions, "close_as_duplicate", "reopen")

    def has_add_permission(self, request) -> bool:
        return False  # members ask on the site or through the API

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_moderator(request.user):
            actions.pop("close_as_duplicate", None)
            actions.pop("reopen", None)
        return actions

    def save_model(self, request, obj, form, change):
        # Staff edits go through the service: history kept, text re-rendered.
        if not change:
            raise PermissionDenied
        original = Question.objects.get(pk=obj.pk)
        try:
            services.question_edit(
                question=original, editor=request.user, title=obj.title, body=obj.body_md
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        if obj.product_id != original.product_id and is_moderator(request.user):
            Question.objects.filter(pk=obj.pk).update(product=obj.product_id)
            services.qa_pages_changed(product_id=original.product_id)
            services.qa_pages_changed(product_id=obj.product_id)

    @admin.action(description=_("Close as a duplicate of the original given below"))
    def close_as_duplicate(self, request, queryset):
        if not is_moderator(request.user):
            raise PermissionDenied
        original = Question.objects.filter(pk=request.POST.get("original") or 0).first()
        if original is None:
            self.message_user(
                request, gettext("Give the id of the original question."), messages.ERROR
            )
            return
        done = 0
        for question in queryset:
            try:
                services.question_close_duplicate(
                    question=question,
                    original=original,
                    moderator=request.user,
                    reason=request.POST.get("reason", ""),
                )
            except ApplicationError as error:
                self.message_user(request, f"{question}: {error.message}", messages.ERROR)
                continue
            done += 1
        self.message_user(
            request, gettext("%(count)d closed as duplicates.") % {"count": done}, messages.SUCCESS
        )

    @admin.action(description=_("Reopen (no longer a duplicate)"))
    def reopen(self, request, queryset):
        if not is_moderator(request.user):
            raise PermissionDenied
        for question in queryset:
            services.question_reopen(
                question=question, moderator=request.user, reason=request.POST.get("reason", "")
            )
        self.message_user(
            request, gettext("%(count)d reopened.") % {"count": queryset.count()}, messages.SUCCESS
        )


@admin.register(Answer)
class AnswerAdmin(ModeratorsMayModerate, ContentAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "question",
        "author",
        "status",
        "score",
        "is_accepted",
        "verified_owner",
        "official",
        "created_at",
    )
    list_filter = ("status", "is_accepted", "verified_owner", "official", "created_at")
    search_fields = ("body_md", "question__title", "author__email", "author__display_name")
    list_select_related = ("author", "question")
    autocomplete_fields = ("author", "question")
    date_hierarchy = "created_at"
    readonly_fields = (
        "question",
        "author",
        "status",
        "score",
        "is_accepted",
        "verified_owner",
        "official",
        "flag_count",
        "published_at",
        "edited_at",
        "edit_count",
        "created_at",
        "moderation_history",
    )
    fields = ("body_md", *readonly_fields)
    actions = ContentAdminMixin.moderation_actions

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            raise PermissionDenied
        try:
            services.answer_edit(
                answer=Answer.objects.get(pk=obj.pk), editor=request.user, body=obj.body_md
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)


@admin.register(BuyerQuestionRequest)
class BuyerQuestionRequestAdmin(admin.ModelAdmin):
    list_display = ("question", "buyer", "created_at")
    search_fields = ("question__title", "buyer__email")
    list_select_related = ("question", "buyer")
    readonly_fields = ("question", "buyer", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
