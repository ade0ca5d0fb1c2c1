"""Rewards bought with points: a catalogue staff edit, and the single-use
codes members buy, each tied to its member and used at checkout.

An amount or a percentage comes off the goods, after the coupon; free
shipping comes off the shipping cost (core.hooks CHECKOUT_ADJUSTMENTS tells
its providers the shipping when they ask for it)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class RewardKind(models.TextChoices):
    FIXED = "fixed", _("Amount off")
    PERCENT = "percent", _("Percentage off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class Reward(models.Model):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    value = models.DecimalField(
        _("value"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "The amount off, or the percentage off the goods. For free shipping: "
            "the most it takes off the shipping (empty: all of it)."
        ),
        **MONEY,
    )
    minimum_subtotal = models.DecimalField(_("minimum order"), default=Decimal("0"), **MONEY)
    points_price = models.PositiveIntegerField(
        _("price in points"), validators=[MinValueValidator(1)]
    )
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    bought_count = models.PositiveIntegerField(_("bought"), default=0, editable=False)
    limit_per_member = models.PositiveIntegerField(
        _("limit per member"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    valid_days = models.PositiveIntegerField(
        _("code valid for (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How long a bought code can be used. Empty: it never expires."),
    )
    starts_at = models.DateTimeField(_("on offer from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("on offer until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_price", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(bought_count__lte=models.F("stock")),
                name="loyalty_reward_within_stock",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="loyalty_reward_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(kind="free_shipping") | Q(value__isnull=False),
                name="loyalty_reward_value_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in (RewardKind.FIXED, RewardKind.PERCENT) and self.value is None:
            raise ValidationError({"value": _("Give the amount or the percentage off.")})
        if self.kind == RewardKind.PERCENT and self.value is not None and self.value > 100:
            raise ValidationError({"value": _("A percentage is at most 100.")})

    @property
    def in_stock(self) -> bool:
        return self.stock is None or self.bought_count < self.stock

    def on_offer(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.is_active
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or now < self.ends_at)
        )


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", _("Ready to use")
    USED = "used", _("Used")


# A code freed by a cancelled (or fully refunded) order has at least this
# many days left to be used again: the member did not get to use it.
RELEASE_GRACE_DAYS = 7


class RewardRedemption(models.Model):
    """A reward a member bought: its code is theirs alone and takes money
    off one order; cancelling that order makes it usable again."""

    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reward_redemptions",
        verbose_name=_("member"),
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    points = models.PositiveIntegerField(_("points paid"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.ISSUED,
    )
    order_id = models.BigIntegerField(_("used on order"), null=True, blank=True)
    # Filled in from the shop's OrderPlaced event (loyalty reads no shop table).
    order_number = models.CharField(_("order number"), max_length=32, blank=True)
    order_amount = models.DecimalField(_("amount off the order"), default=Decimal("0"), **MONEY)
    released_amount = models.DecimalField(_("amount released"), default=Decimal("0"), **MONEY)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("usable until"), null=True, blank=True)
    created_at = models.DateTimeField(_("bought at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward bought")
        verbose_name_plural = _("rewards bought")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "reward"], name="loyalty_redemption_member")]

    def __str__(self) -> str:
        return self.code

    def is_expired(self, now=None) -> bool:
        """An unused code past its date (a used one keeps its order)."""
        return (
            self.status == RedemptionStatus.ISSUED
            and self.expires_at is not None
            and self.expires_at <= (now or timezone.now())
        )
