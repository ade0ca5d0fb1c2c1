"""Points spent at checkout: one row per order that used points, so each
release (a cancellation, a refund in full or in part) gives back the points
for the money released so far, and the last release gives back all of them
whatever the rounding of the ones before."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class CheckoutRedemption(models.Model):
    order_id = models.BigIntegerField(_("order"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="checkout_redemptions",
        verbose_name=_("member"),
    )
    points = models.PositiveIntegerField(_("points spent"))
    amount = models.DecimalField(_("amount off"), **MONEY)
    released_amount = models.DecimalField(_("amount released"), default=Decimal("0"), **MONEY)
    points_returned = models.PositiveIntegerField(_("points given back"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points spent at checkout")
        verbose_name_plural = _("points spent at checkout")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_returned__lte=models.F("points")),
                name="loyalty_checkout_returned_within_spent",
            ),
            models.CheckConstraint(
                condition=Q(released_amount__lte=models.F("amount")),
                name="loyalty_checkout_released_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.points}"
