"""Bounties on community questions, paid in points.

A member offers points on a question; they leave the member's available
balance at once (an ESCROW entry, subject "bounty:<id>") and are held until
the bounty closes:

- the first acceptance of an answer that loyalty hears of while the bounty
  is open pays its author (a BOUNTY entry), unless that author offered the
  bounty or accepted their own answer: then the points go back (REFUND);
- with no acceptance by the deadline, the top-voted answer with a score of
  at least 1 that the offerer did not write is paid; without one, the
  points go back;
- a question hidden or deleted while its bounty is open refunds it.

A closed bounty never opens again: unaccepting the paid answer, accepting
another or restoring a removed question changes nothing. The question lives
in the community app, so it is referred to by id (loyalty reads what it
needs through core.hooks.QUESTION_FACTS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BountyStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("bounty status", "Open")
    PAID = "paid", pgettext_lazy("bounty status", "Paid")
    REFUNDED = "refunded", pgettext_lazy("bounty status", "Refunded")


class BountyOutcome(models.TextChoices):
    """Why a bounty closed."""

    ACCEPTED = "accepted", _("Answer accepted")
    TOP_VOTED = "top_voted", _("Top-voted answer")
    OWN_ANSWER = "own_answer", _("An answer by the offerer, or accepted by its author")
    NO_ANSWER = "no_answer", _("No answer with a vote by the deadline")
    QUESTION_REMOVED = "question_removed", _("Question hidden or deleted")
    STAFF = "staff", _("Refunded by staff")


class Bounty(models.Model):
    question_id = models.BigIntegerField(_("question"))
    question_title = models.CharField(
        _("question title"),
        max_length=200,
        blank=True,
        help_text=_("As it was when the bounty was offered."),
    )
    offerer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bounties_offered",
        verbose_name=_("offered by"),
    )
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=20, choices=BountyStatus.choices, default=BountyStatus.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=BountyOutcome.choices, blank=True
    )
    deadline = models.DateTimeField(_("open until"))
    answer_id = models.BigIntegerField(_("paid answer"), null=True, blank=True)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bounties_won",
        verbose_name=_("paid to"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refunded by"),
    )
    note = models.CharField(_("reason"), max_length=500, blank=True)
    source_event_id = models.UUIDField(_("closing event"), null=True, blank=True)
    created_at = models.DateTimeField(_("offered at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bounty")
        verbose_name_plural = _("bounties")
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_bounty", "Can refund an open bounty with a reason")]
        constraints = [
            models.UniqueConstraint(
                fields=["question_id"],
                condition=Q(status="open"),
                name="loyalty_bounty_one_open_per_question",
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="loyalty_bounty_points"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(winner__isnull=False, answer_id__isnull=False),
                name="loyalty_bounty_paid_to_an_answer",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="loyalty_bounty_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["question_id", "-created_at"], name="loyalty_bounty_question"),
            models.Index(
                fields=["deadline"], condition=Q(status="open"), name="loyalty_bounty_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points} · {self.question_title or self.question_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == BountyStatus.OPEN
