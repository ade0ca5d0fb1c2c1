from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401
        from accounts.demo import seed_users
        from core import hooks

        hooks.register(hooks.DEMO_DATA, seed_users, order=0)
