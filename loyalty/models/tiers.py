"""Tiers: named levels a member reaches by qualifying points (or spend) over
a period, each with an earning multiplier and perks.

`MemberTier` stores a member's current tier and how long it is kept
(`kept_until`): a tier reached in a period is kept through the following one
(calendar year: reached in 2026, kept through 2027; rolling 12 months: kept
12 months after it was last reached). `MemberSpend` records each paid order's
total for the spend basis (loyalty hears the shop only through its events)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(
        _("perks"), blank=True, help_text=_("What members of this tier get, shown to members.")
    )
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Qualifying points (or spend, in the shop's currency) in the period to reach it."
        ),
    )
    multiplier = models.DecimalField(
        _("earning multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Purchase points are multiplied by this."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    badge_label = models.CharField(
        _("badge label"),
        max_length=20,
        blank=True,
        help_text=_("Short mark next to members' names; the name when empty."),
    )
    colour = models.CharField(_("colour"), max_length=20, blank=True, help_text=_("e.g. #b8860b"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["threshold", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["threshold"], name="loyalty_tier_threshold_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.badge_label or self.name


class MemberTier(models.Model):
    """A member's current tier (kept up to date by loyalty.services.tiers)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="loyalty_tier",
        verbose_name=_("member"),
    )
    tier = models.ForeignKey(
        Tier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("tier"),
    )
    qualifying = models.DecimalField(
        _("qualifying value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    reached_at = models.DateTimeField(_("last reached"), null=True, blank=True)
    kept_until = models.DateField(_("kept until"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.tier or '-'}"


class MemberSpend(models.Model):
    """One paid order's spend for the tier's spend basis: the paid total less
    what was refunded, nothing once cancelled."""

    order_id = models.BigIntegerField(_("order"), primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member"),
    )
    paid_total = models.DecimalField(
        _("paid total"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    refunded_total = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member spend")
        verbose_name_plural = _("member spend")
        indexes = [models.Index(fields=["user", "paid_at"], name="loyalty_spend_period")]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.paid_total} - {self.refunded_total}"
