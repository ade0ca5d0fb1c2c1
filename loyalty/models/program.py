"""The program's settings, one row edited in the admin."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TierPeriod(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", _("Calendar year")
    ROLLING_12_MONTHS = "rolling_12_months", _("Rolling 12 months")


class TierBasis(models.TextChoices):
    POINTS = "points", _("Qualifying points")
    SPEND = "spend", _("Spend")


class ProgramSettings(models.Model):
    """How the rewards program works for this shop (a single row)."""

    return_window_days = models.PositiveSmallIntegerField(
        _("return window (days)"),
        default=14,
        help_text=_("Purchase points stay pending this long after the order is delivered."),
    )
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=12,
        decimal_places=4,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("What one point takes off an order at checkout, in the shop's currency."),
    )
    redeem_max_share = models.PositiveSmallIntegerField(
        _("largest share of an order paid with points (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    redeem_minimum_points = models.PositiveIntegerField(
        _("fewest points spent at once"), default=100
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months without activity)"),
        default=12,
        help_text=_("0: points never expire."),
    )
    expiry_reminder_days = models.PositiveSmallIntegerField(
        _("remind before expiry (days)"), default=30
    )
    tier_period = models.CharField(
        _("tier period"),
        max_length=20,
        choices=TierPeriod.choices,
        default=TierPeriod.CALENDAR_YEAR,
    )
    tier_basis = models.CharField(
        _("tiers reached by"), max_length=20, choices=TierBasis.choices, default=TierBasis.POINTS
    )
    leaderboard_size = models.PositiveSmallIntegerField(
        _("leaderboard size"), default=10, validators=[MinValueValidator(3), MaxValueValidator(100)]
    )
    bounty_days = models.PositiveSmallIntegerField(
        _("bounty open for (days)"),
        default=7,
        validators=[MinValueValidator(1)],
        help_text=_("With no accepted answer by then, the top-voted answer gets the bounty."),
    )
    bounty_minimum_points = models.PositiveIntegerField(
        _("smallest bounty (points)"), default=50, validators=[MinValueValidator(1)]
    )
    bounty_maximum_points = models.PositiveIntegerField(
        _("largest bounty (points)"), default=500, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("program settings")
        verbose_name_plural = _("program settings")

    def __str__(self) -> str:
        return str(_("Rewards program settings"))

    def clean(self) -> None:
        if (
            self.bounty_minimum_points
            and self.bounty_maximum_points
            and self.bounty_minimum_points > self.bounty_maximum_points
        ):
            raise ValidationError(
                {
                    "bounty_maximum_points": _(
                        "The largest bounty cannot be smaller than the smallest."
                    )
                }
            )

    @classmethod
    def current(cls) -> ProgramSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row
