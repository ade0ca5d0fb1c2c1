from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from core import hooks
        from loyalty import notifications
        from loyalty.header import points_header_item
        from loyalty.selectors.badges import badge_marks
        from loyalty.services import badges  # noqa: F401 - its award listener

        notifications.register_kinds()
        hooks.register(hooks.MEMBER_MARKS, badge_marks, order=20)
        hooks.register(hooks.HEADER_ITEMS, points_header_item)
