from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        # Demo catalog for `manage.py seed_demo`, after the demo accounts (order 0).
        from core import hooks
        from shop import (
            checks,  # noqa: F401
            demo,
            notifications,
            privacy,
            receivers,  # noqa: F401
        )

        hooks.register(hooks.DEMO_DATA, demo.seed_shop, order=10)
        # The header's cart badge differs per visitor: every stored page, of
        # any app, leaves it as a hole that is filled per response.
        from core import pagecache
        from shop.context_processors import cart_badge_html

        pagecache.site_hole_register("cart_badge_hole", "cartbadge", cart_badge_html)
        # "Download my data" and account deletion (accounts.services).
        hooks.register(hooks.USER_DATA_EXPORT, privacy.user_data_export)
        hooks.register(hooks.USER_ANONYMISE, privacy.user_anonymise)
        # Order updates and back-in-stock alerts in the notification centre.
        notifications.register()
        # Product cards, launch dates and the products still to launch, for
        # apps that do not read the shop's tables (loyalty's early access).
        from shop.selectors import product_cards_by_id, product_launches, upcoming_product_ids

        hooks.register(hooks.PRODUCT_CARDS, product_cards_by_id)
        hooks.register(hooks.PRODUCT_LAUNCHES, product_launches)
        hooks.register(hooks.UPCOMING_PRODUCTS, upcoming_product_ids)
