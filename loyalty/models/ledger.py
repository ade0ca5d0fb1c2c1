"""The points ledger: append-only entries, a cached balance per member, and
the awards whose standing the entries settle.

A member's balances are sums of their entries, per bucket:
- available = sum of entries in AVAILABLE (never below zero),
- pending   = sum of entries in PENDING (points earned but not usable yet),
- debt      = minus the sum of entries in DEBT (what a reversal could not
  take back; the next points credited to available repay it).
`PointsAccount` caches the three, updated in the transaction that writes the
entries, under the account's row lock; `manage.py reconcile` proves they agree.

An `Award` is one thing a member earned points for (a review, an order, a
day's visit): its `net` is the sum of its EARN and REVERSE entries, moved
towards a target by `award_settle` (a removed review's target is 0, a
restored one's the original points, a half-refunded order's half of them).
So a second delivery of an event, or events arriving out of order, never
awards or reverses twice: settling to the same target writes nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Bucket(models.TextChoices):
    AVAILABLE = "available", _("Available")
    PENDING = "pending", _("Pending")
    DEBT = "debt", _("Owed")


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    RELEASE = "release", _("Became available")
    REVERSE = "reverse", _("Reversed")
    REPAY = "repay", _("Repaid what was owed")
    REDEEM = "redeem", _("Spent")
    REFUND = "refund", _("Given back")
    ESCROW = "escrow", _("Held for a bounty")
    # A bounty's points paid to an answer's author: moved between members,
    # not earned from the program (no tier, badge or leaderboard counts it).
    BOUNTY = "bounty", _("Bounty received")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted by staff")


class Area(models.TextChoices):
    """Where points were earned (leaderboards per area)."""

    SHOP = "shop", _("Shopping")
    REVIEWS = "reviews", _("Reviews")
    ANSWERS = "answers", _("Questions and answers")
    FORUM = "forum", _("Forums")
    POLLS = "polls", _("Polls")
    ACCOUNT = "account", _("Account")
    OTHER = "other", _("Other")


class PointsAccount(models.Model):
    """The cached balances of one member (see the module docstring)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="points_account",
        verbose_name=_("member"),
    )
    available = models.IntegerField(_("available points"), default=0)
    pending = models.IntegerField(_("pending points"), default=0)
    debt = models.IntegerField(_("points owed"), default=0)
    earned_total = models.IntegerField(
        _("points earned, net of reversals"), default=0, help_text=_("All time.")
    )
    # Earning or spending (loyalty.services.ledger: `save(activity=True)`);
    # points expire after ProgramSettings.expiry_months without it.
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # When the member was reminded that their points expire: a reminder after
    # the last activity covers the current idle spell; an expiry clears it
    # (loyalty.selectors.expiry).
    expiry_reminded_at = models.DateTimeField(_("reminded of expiry"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        permissions = [("adjust_points", "Can adjust a member's points with a reason")]
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="loyalty_account_available_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="loyalty_account_pending_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(debt__gte=0), name="loyalty_account_debt_not_negative"
            ),
        ]
        indexes = [
            # The expiry tasks look only at accounts holding points.
            models.Index(
                fields=["last_activity_at"],
                condition=Q(available__gt=0),
                name="loyalty_account_idle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.available} (+{self.pending} pending)"


class Award(models.Model):
    """One thing a member earned points for, and where its points stand."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="point_awards",
        verbose_name=_("member"),
    )
    rule = models.CharField(_("rule"), max_length=50)
    subject = models.CharField(
        _("for"), max_length=80, help_text=_('What it was for, e.g. "review:12" or "order:5".')
    )
    area = models.CharField(_("area"), max_length=20, choices=Area.choices, default=Area.OTHER)
    points = models.IntegerField(_("points when standing"))
    net = models.IntegerField(_("points standing now"), default=0)
    # Pending awards: released to available at `available_at`; one held by an
    # order (`hold_order_id`) gets its date when that order is delivered.
    pending = models.BooleanField(_("pending"), default=False)
    hold_order_id = models.BigIntegerField(_("held until order"), null=True, blank=True)
    available_at = models.DateTimeField(_("available from"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    source_event_id = models.UUIDField(_("first event"), null=True, blank=True)
    # When the event that last set its standing happened: an older event
    # arriving later (a retried delivery) does not undo a newer one.
    standing_at = models.DateTimeField(_("standing set at"), null=True, blank=True)
    # Taken back by its own rule's event (an answer no longer accepted, a
    # helpful vote withdrawn), not by a moderator: restoring the content
    # does not make it stand again; the rule's own event does.
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "rule", "subject"], name="loyalty_award_once_per_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["subject"], name="loyalty_award_subject"),
            models.Index(fields=["user", "rule", "created_at"], name="loyalty_award_caps"),
            models.Index(
                fields=["available_at"],
                condition=Q(pending=True, released_at__isnull=True),
                name="loyalty_award_due",
            ),
            models.Index(
                fields=["hold_order_id"],
                condition=Q(hold_order_id__isnull=False),
                name="loyalty_award_hold_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.subject} · {self.net}/{self.points}"


class LedgerEntry(models.Model):
    """One change of a member's points. Never edited, never deleted: a
    correction is another entry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    bucket = models.CharField(_("balance"), max_length=20, choices=Bucket.choices)
    points = models.IntegerField(_("points"))
    rule = models.CharField(_("rule"), max_length=50, blank=True)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices, blank=True)
    subject = models.CharField(_("for"), max_length=80, blank=True)
    award = models.ForeignKey(
        Award,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("award"),
    )
    source_event_id = models.UUIDField(_("source event"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A second delivery of an event can never write its entries again.
            models.UniqueConstraint(
                fields=["source_event_id", "rule", "user", "kind", "bucket"],
                condition=Q(source_event_id__isnull=False),
                name="loyalty_entry_once_per_event",
            ),
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="loyalty_entry_history"),
            models.Index(fields=["area", "created_at"], name="loyalty_entry_area_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d} ({self.get_bucket_display()})"

    @property
    def rule_label(self) -> str:
        """What earned the points, for the member ("Review"); "" for entries
        no earning rule made (spending, staff adjustments...)."""
        from loyalty.models.rules import RuleCode

        try:
            return str(RuleCode(self.rule).label)
        except ValueError:
            return ""


class BoardScore(models.Model):
    """A member's points on one leaderboard: an area (or "all") in a period
    ("all", a month "2026-12", an ISO week "2026-W49"), moved with every
    EARN and REVERSE entry in the entry's own transaction (under the
    account lock). The database reads a board from here instead of summing
    the ledger; Redis holds the same boards; `reconcile` checks the all-time
    rows against the ledger. Weeks and months older than Redis keeps them are
    pruned: the ledger answers for those."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    area = models.CharField(_("area"), max_length=20)
    period = models.CharField(_("period"), max_length=10)
    points = models.IntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("leaderboard score")
        verbose_name_plural = _("leaderboard scores")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "area", "period"], name="loyalty_board_score_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["area", "period", "-points", "user"], name="loyalty_board_score_rank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.period}: {self.points}"


class DeliveredOrder(models.Model):
    """Orders loyalty heard were delivered, so an award held by an order
    whose OrderPaid arrives after its OrderDelivered still gets its date."""

    order_id = models.BigIntegerField(_("order"), primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("member"),
    )
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        verbose_name = _("delivered order")
        verbose_name_plural = _("delivered orders")

    def __str__(self) -> str:
        return f"order {self.order_id} @ {self.delivered_at:%Y-%m-%d}"
