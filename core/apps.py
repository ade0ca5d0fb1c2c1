from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        # Every app's events.py registers its event classes by name, and its
        # handlers.py subscribes its handlers, on import: a worker can then
        # read any stored event, and a migration map every stored name.
        autodiscover_modules("events")
        autodiscover_modules("handlers")

        from core import hooks
        from core.notifications import services as notifications

        # "Download my data" and account deletion (accounts.services).
        hooks.register(hooks.USER_DATA_EXPORT, notifications.user_data_export)
        hooks.register(hooks.USER_ANONYMISE, notifications.user_anonymise)
