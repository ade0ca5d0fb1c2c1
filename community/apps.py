from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import kinds
        from community.demo.reviews import seed_reviews
        from community.selectors.reviews import rating_annotations
        from community.views.reviews import product_reviews_section
        from core import hooks

        kinds.kind_register("review", "community.Review")
        kinds.kind_register("review_photo", "community.ReviewPhoto")
        hooks.register(hooks.PRODUCT_RATING_ANNOTATIONS, rating_annotations)
        hooks.register(hooks.PRODUCT_PAGE_SECTIONS, product_reviews_section, order=20)
        hooks.register(hooks.DEMO_DATA, seed_reviews, order=20)
