"""Polls: a question with 2-20 options, single or multiple choice, results
shown per a visibility rule, voters named or secret, optionally only for
members who bought a product.

A member's vote is one PollBallot row (unique per poll and member) with its
PollVote children, one per chosen option, each in a slot from 1 to the
poll's most choices (unique per ballot): the database itself refuses a
second ballot, or more votes than the poll allows. The vote service locks the poll
row, then replaces the member's ballot in the same transaction, so two
concurrent votes of the same member are applied one after the other and the
counters (option vote_count, poll voter_count) stay exact."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models.base import MemberContent
from core.models import BaseModel

TITLE_MAX = 200
OPTION_LABEL_MAX = 120
OPTIONS_MIN = 2
OPTIONS_MAX = 20


class Poll(MemberContent):
    kind = "poll"

    class Type(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    class Results(models.TextChoices):
        ALWAYS = "always", _("Always")
        ON_VOTE = "on_vote", _("After voting")
        ON_CLOSE = "on_close", _("When the poll closes")
        STAFF_ONLY = "staff_only", _("Staff only")

    title = models.CharField(_("question"), max_length=TITLE_MAX)
    poll_type = models.CharField(
        _("type"), max_length=16, choices=Type.choices, default=Type.SINGLE
    )
    min_choices = models.PositiveSmallIntegerField(_("fewest choices"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("most choices"), default=1)
    results = models.CharField(
        _("results shown"), max_length=16, choices=Results.choices, default=Results.ALWAYS
    )
    public_voters = models.BooleanField(
        _("voters' names shown"),
        default=False,
        help_text=_("Public: the names of the voters are shown with each option."),
    )
    owners_only = models.BooleanField(
        _("owners only"),
        default=False,
        help_text=_("Only members who bought the product may vote."),
    )
    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    # A poll in a forum thread is shown at the top of the thread's page.
    thread = models.ForeignKey(
        "community.Thread",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="polls",
        verbose_name=_("thread"),
    )
    close_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("closed by"),
    )
    voter_count = models.PositiveIntegerField(_("voters"), default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        indexes = [models.Index(fields=["status", "closed_at", "close_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_choices__gte=1)
                & Q(min_choices__lte=models.F("max_choices"))
                & Q(max_choices__lte=OPTIONS_MAX),
                name="poll_choices_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(poll_type="single") | Q(min_choices=1, max_choices=1),
                name="poll_single_choice_is_one",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:poll", args=[self.pk])

    # ------------------------------------------------------------ behaviour
    def moderation_title(self) -> str:
        return " ".join(self.title.split())[:120]

    def published_event(self):
        from community.events import PollCreated

        return PollCreated(poll_id=self.pk, author_id=self.author_id, product_id=self.product_id)

    def is_closed_at(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is not None or (self.close_at is not None and self.close_at <= now)

    @property
    def is_closed(self) -> bool:
        return self.is_closed_at()

    @property
    def is_multiple(self) -> bool:
        return self.poll_type == self.Type.MULTIPLE


class PollOption(models.Model):
    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="options", verbose_name=_("poll")
    )
    label = models.CharField(_("label"), max_length=OPTION_LABEL_MAX)
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(
        "shop.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    vote_count = models.PositiveIntegerField(_("votes"), default=0, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("poll option")
        verbose_name_plural = _("poll options")
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="poll_option_position"),
            models.UniqueConstraint("poll", Lower("label"), name="poll_option_label_distinct"),
        ]

    def __str__(self) -> str:
        return self.label


class PollBallot(BaseModel):
    """One member's vote in one poll: at most one row per (poll, member),
    replaced in place when the vote changes."""

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("poll")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("voter"),
    )
    choice_count = models.PositiveSmallIntegerField(_("choices"), default=1)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter"], name="poll_ballot_one_per_member"),
            models.CheckConstraint(
                condition=Q(choice_count__gte=1) & Q(choice_count__lte=OPTIONS_MAX),
                name="poll_ballot_choice_count_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}/{self.voter_id}"


class PollVote(models.Model):
    """One chosen option of a ballot."""

    ballot = models.ForeignKey(
        PollBallot, on_delete=models.CASCADE, related_name="votes", verbose_name=_("ballot")
    )
    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="votes", verbose_name=_("poll")
    )
    option = models.ForeignKey(
        PollOption, on_delete=models.CASCADE, related_name="votes", verbose_name=_("option")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("voter"),
    )
    # Each chosen option takes one of the ballot's slots, 1 to the poll's
    # most choices (copied here so the database can check it): a ballot
    # cannot hold more votes than the poll allows, whatever writes it.
    slot = models.PositiveSmallIntegerField(_("slot"), default=1)
    max_slots = models.PositiveSmallIntegerField(_("most choices"), default=1)
    created_at = models.DateTimeField(_("voted at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "option"], name="poll_vote_option_once"),
            models.UniqueConstraint(fields=["ballot", "slot"], name="poll_vote_slot_once"),
            models.CheckConstraint(
                condition=Q(slot__gte=1) & Q(slot__lte=models.F("max_slots")),
                name="poll_vote_slot_in_range",
            ),
            models.UniqueConstraint(
                fields=["poll", "voter", "option"], name="poll_vote_member_option_once"
            ),
        ]
        indexes = [models.Index(fields=["voter", "poll"])]

    def __str__(self) -> str:
        return f"{self.voter_id} -> {self.option_id}"
