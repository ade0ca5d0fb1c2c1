from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import kinds, notifications
        from community.demo.polls import seed_polls
        from core import hooks

        notifications.register_kinds()

        kinds.kind_register("poll", "community.Poll")
        hooks.register(hooks.DEMO_DATA, seed_polls, order=50)
