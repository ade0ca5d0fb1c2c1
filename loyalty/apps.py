from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        # Award listeners register on import; tier_handlers has its own name
        # (core imports handlers.py modules only).
        from core import hooks
        from loyalty import (
            demo,
            notifications,
            receivers,  # noqa: F401
            tier_handlers,  # noqa: F401
        )
        from loyalty.admin.reports import member_admin_panels
        from loyalty.bounty_cache import question_marks
        from loyalty.header import points_header_item
        from loyalty.marks import member_marks
        from loyalty.profile import profile_sections
        from loyalty.selectors.early_access import early_access_product_ids
        from loyalty.selectors.rules import content_incentivised
        from loyalty.services import badges, leaderboards, tiers  # noqa: F401
        from loyalty.services.rewards import reward_at_checkout
        from loyalty.services.spending import points_at_checkout
        from loyalty.views.bounties import question_bounty_panel

        notifications.register_kinds()
        hooks.register(hooks.MEMBER_MARKS, member_marks)
        hooks.register(hooks.PROFILE_SECTIONS, profile_sections)
        hooks.register(hooks.HEADER_ITEMS, points_header_item)
        hooks.register(hooks.CONTENT_INCENTIVISED, content_incentivised)
        hooks.register(hooks.PRODUCT_EARLY_ACCESS, early_access_product_ids)
        hooks.register(hooks.ADMIN_USER_PANELS, member_admin_panels)
        hooks.register(hooks.QUESTION_PANELS, question_bounty_panel)
        hooks.register(hooks.QUESTION_MARKS, question_marks)
        # A reward's code comes off first, like a coupon; points pay part of
        # what is left.
        hooks.register(hooks.CHECKOUT_ADJUSTMENTS, reward_at_checkout, order=10)
        hooks.register(hooks.CHECKOUT_ADJUSTMENTS, points_at_checkout, order=20)
        # Demo data: the program before the shop's orders (order 10), the
        # shoppers' points for them after, and for their posts after the
        # community's (orders 20-50).
        hooks.register(hooks.DEMO_DATA, demo.seed_program, order=5)
        hooks.register(hooks.DEMO_DATA, demo.seed_order_points, order=15)
        hooks.register(hooks.DEMO_DATA, demo.seed_activity, order=90)
