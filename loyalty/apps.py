from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core import hooks
        from loyalty.services.rewards import reward_at_checkout
        from loyalty.services.spending import points_at_checkout

        # A reward's code comes off first, like a coupon; points pay part of
        # what is left.
        hooks.register(hooks.CHECKOUT_ADJUSTMENTS, reward_at_checkout, order=10)
        hooks.register(hooks.CHECKOUT_ADJUSTMENTS, points_at_checkout, order=20)
