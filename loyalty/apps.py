from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core import hooks
        from loyalty.services.spending import points_at_checkout

        hooks.register(hooks.CHECKOUT_ADJUSTMENTS, points_at_checkout)
