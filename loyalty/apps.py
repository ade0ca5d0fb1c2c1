from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core import hooks
        from loyalty.selectors.rules import content_incentivised

        hooks.register(hooks.CONTENT_INCENTIVISED, content_incentivised)
