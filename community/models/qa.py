"""Questions and answers: members ask about a product (or in general), others
answer, everyone votes on answers, and the asker accepts the one that solved
it. A moderator may close a question as a duplicate of another.

Counters (answer_count, score) are kept by the services under row locks with
F() expressions; "exactly one accepted answer per question" is also a
partial unique constraint, so it holds under concurrent accepts."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from community.models.base import MemberContent
from core.models import BaseModel

TITLE_MIN = 10
TITLE_MAX = 200
BODY_MAX = 5000
# The question page's action URLs (community/views/qa.py).
RESERVED_SLUGS = {"answer", "edit", "delete", "close"}


class Question(MemberContent):
    kind: ClassVar[str] = "question"

    title = models.CharField(_("title"), max_length=TITLE_MAX)
    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="community_questions",
        verbose_name=_("product"),
        help_text=_("Empty for a general question."),
    )
    answer_count = models.PositiveIntegerField(_("answers"), default=0, editable=False)
    accepted_answer = models.ForeignKey(
        "community.Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted answer"),
        editable=False,
    )
    closed_as_duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
        editable=False,
    )
    last_activity_at = models.DateTimeField(_("last activity"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["product", "status", "-created_at"]),
            models.Index(fields=["status", "-last_activity_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:question", args=[self.pk, self.slug])

    @property
    def slug(self) -> str:
        slug = slugify(self.title)[:80].strip("-") or "question"
        return f"{slug}-question" if slug in RESERVED_SLUGS else slug

    @property
    def is_closed(self) -> bool:
        return self.closed_as_duplicate_of_id is not None

    def published_event(self):
        from community.events import QuestionAsked
        from shop import selectors as shop_selectors

        return QuestionAsked(
            question_id=self.pk,
            author_id=self.author_id,
            product_id=self.product_id,
            verified_buyer=shop_selectors.user_purchased(
                user_id=self.author_id, product_id=self.product_id
            ),
        )

    def visibility_changed(self) -> None:
        from community.services.qa import qa_pages_changed

        qa_pages_changed(product_id=self.product_id)


class Answer(MemberContent):
    kind: ClassVar[str] = "answer"

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    score = models.IntegerField(_("score"), default=0, editable=False)
    verified_owner = models.BooleanField(
        _("verified owner"),
        default=False,
        editable=False,
        help_text=_("The author bought the question's product (decided when posted)."),
    )
    official = models.BooleanField(
        _("official"),
        default=False,
        editable=False,
        help_text=_("Written by the shop's staff."),
    )
    is_accepted = models.BooleanField(_("accepted"), default=False, editable=False)

    class Meta:
        ordering = ["-is_accepted", "-score", "created_at", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_accepted=True),
                name="community_answer_one_accepted_per_question",
            )
        ]
        indexes = [models.Index(fields=["question", "status"])]

    def __str__(self) -> str:
        return f"{_('Answer')} {self.pk}"

    def get_absolute_url(self) -> str:
        return f"{self.question.get_absolute_url()}#answer-{self.pk}"

    def product_id_for_events(self) -> int | None:
        return self.question.product_id

    def moderation_title(self) -> str:
        return " ".join(f"{self.question.title}: {self.body_md}".split())[:120]

    def published_event(self):
        from community.events import AnswerPosted

        question = self.question
        return AnswerPosted(
            answer_id=self.pk,
            question_id=question.pk,
            author_id=self.author_id,
            question_author_id=question.author_id,
            product_id=question.product_id,
            verified_buyer=self.verified_owner,
            official=self.official,
        )

    def visibility_changed(self) -> None:
        from community.services.qa import question_recount

        question_recount(question_id=self.question_id)


class AnswerVote(BaseModel):
    """One member's vote on one answer: +1 (useful) or -1 (not useful)."""

    class Value(models.IntegerChoices):
        UP = 1, _("Useful")
        DOWN = -1, _("Not useful")

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="votes", verbose_name=_("answer")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_answer_votes",
        verbose_name=_("voter"),
    )
    value = models.SmallIntegerField(_("vote"), choices=Value.choices)

    class Meta:
        verbose_name = _("answer vote")
        verbose_name_plural = _("answer votes")
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "voter"], name="community_answer_vote_once_per_member"
            ),
            models.CheckConstraint(
                condition=Q(value__in=[1, -1]), name="community_answer_vote_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} {self.value:+d} on answer {self.answer_id}"


class BuyerQuestionRequest(models.Model):
    """A recent buyer of a product was asked to help answer a question
    about it (at most once a week per buyer, see community.handlers)."""

    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="buyer_requests",
        verbose_name=_("question"),
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("buyer"),
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("buyer asked to answer")
        verbose_name_plural = _("buyers asked to answer")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "buyer"], name="community_buyer_question_request_once"
            )
        ]
        indexes = [models.Index(fields=["buyer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.buyer_id} asked about question {self.question_id}"
