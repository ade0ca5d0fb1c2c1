"""Badges (Stack Overflow's, in bronze, silver and gold) and time-boxed
challenges, both defined by staff in the admin and awarded by the program
as members earn points."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BadgeLevel(models.TextChoices):
    BRONZE = "bronze", _("Bronze")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")


LEVEL_RANK = {BadgeLevel.BRONZE: 1, BadgeLevel.SILVER: 2, BadgeLevel.GOLD: 3}


class BadgeCriterion(models.TextChoices):
    AWARD_COUNT = "award_count", _("Times points were earned under a rule")
    POINTS_EARNED = "points_earned", _("Points earned in all")
    MEMBER_DAYS = "member_days", _("Days since joining")
    LEADERBOARD_TOP = "leaderboard_top", _("Place in a monthly leaderboard")


# Rule codes a badge or challenge cannot count (they are the program's own).
OWN_RULES = {"challenge", "adjust", "redeem", "expiry"}


class Badge(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    level = models.CharField(
        _("level"), max_length=10, choices=BadgeLevel.choices, default=BadgeLevel.BRONZE
    )
    criterion = models.CharField(_("earned for"), max_length=20, choices=BadgeCriterion.choices)
    rule = models.CharField(
        _("rule"),
        max_length=50,
        blank=True,
        help_text=_('For "times points were earned": the earning rule\'s code, e.g. "review".'),
    )
    area = models.CharField(
        _("leaderboard area"),
        max_length=20,
        blank=True,
        help_text=_("For a leaderboard badge: the area, or empty for the overall board."),
    )
    threshold = models.PositiveIntegerField(
        _("threshold"),
        default=1,
        help_text=_("How many times, points, days, or the lowest place that earns it."),
    )
    show_next_to_name = models.BooleanField(_("shown next to the member's name"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="loyalty_badge_threshold")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"

    def clean(self) -> None:
        if self.criterion == BadgeCriterion.AWARD_COUNT and not self.rule:
            raise ValidationError({"rule": _("Name the earning rule this badge counts.")})
        if self.rule in OWN_RULES:
            raise ValidationError({"rule": _("This rule cannot be counted.")})


class MemberBadge(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="badges",
        verbose_name=_("member"),
    )
    badge = models.ForeignKey(
        Badge, on_delete=models.PROTECT, related_name="holders", verbose_name=_("badge")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    awarded_at = models.DateTimeField(_("awarded at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-awarded_at", "-pk"]
        verbose_name = _("member's badge")
        verbose_name_plural = _("members' badges")
        constraints = [models.UniqueConstraint(fields=["user", "badge"], name="loyalty_badge_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.badge}"


class Challenge(models.Model):
    """'3 reviews this month': a target count of awards under one rule
    between two dates, with bonus points and optionally a badge."""

    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    rule = models.CharField(
        _("rule"), max_length=50, help_text=_('The earning rule it counts, e.g. "review".')
    )
    target = models.PositiveSmallIntegerField(_("target"), default=3)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    badge = models.ForeignKey(
        Badge,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="challenges",
        verbose_name=_("badge on completion"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="loyalty_challenge_dates"
            ),
            models.CheckConstraint(condition=Q(target__gte=1), name="loyalty_challenge_target"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.rule in OWN_RULES:
            raise ValidationError({"rule": _("This rule cannot be counted.")})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A challenge ends after it starts.")})


class ChallengeCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="challenges_completed",
        verbose_name=_("member"),
    )
    challenge = models.ForeignKey(
        Challenge, on_delete=models.CASCADE, related_name="completions", verbose_name=_("challenge")
    )
    completed_at = models.DateTimeField(_("completed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("completed challenge")
        verbose_name_plural = _("completed challenges")
        constraints = [
            models.UniqueConstraint(fields=["user", "challenge"], name="loyalty_challenge_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.challenge}"
