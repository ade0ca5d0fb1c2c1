from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import kinds
        from community.demo.qa import seed_qa
        from community.views.qa import product_questions_section
        from core import hooks

        kinds.kind_register("question", "community.Question")
        kinds.kind_register("answer", "community.Answer")
        hooks.register(hooks.PRODUCT_PAGE_SECTIONS, product_questions_section, order=30)
        hooks.register(hooks.DEMO_DATA, seed_qa, order=30)
