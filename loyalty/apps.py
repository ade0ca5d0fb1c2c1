from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core import hooks
        from loyalty import notifications
        from loyalty.selectors.early_access import early_access_product_ids

        notifications.register_kinds()
        hooks.register(hooks.PRODUCT_EARLY_ACCESS, early_access_product_ids)
