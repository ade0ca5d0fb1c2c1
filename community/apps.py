from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        # The forums' notification subscriber (core imports handlers.py
        # modules only; this one has its own name).
        from community import (
            forum_handlers,  # noqa: F401
            kinds,
            notifications,
        )
        from community.demo.forums import seed_forums
        from community.demo.polls import seed_polls
        from community.demo.qa import seed_qa
        from community.demo.reviews import seed_reviews
        from community.forum_privacy import forum_data_export, forum_user_anonymise
        from community.privacy import community_data_export, community_user_anonymise
        from community.reading import content_read
        from community.selectors import activity
        from community.selectors.members import profile_activity_register, trust_levels
        from community.selectors.qa import question_facts, question_top_answer
        from community.selectors.reviews import rating_annotations
        from community.views.landing import home_namespaces, home_section
        from community.views.qa import product_questions_section
        from community.views.reviews import product_reviews_section
        from core import hooks

        notifications.register_kinds()

        kinds.kind_register("review", "community.Review")
        kinds.kind_register("review_photo", "community.ReviewPhoto")
        kinds.kind_register("post", "community.Post")
        kinds.kind_register("poll", "community.Poll")
        kinds.kind_register("question", "community.Question")
        kinds.kind_register("answer", "community.Answer")

        hooks.register(hooks.PRODUCT_RATING_ANNOTATIONS, rating_annotations)
        hooks.register(hooks.MEMBER_TRUST_LEVELS, trust_levels)
        hooks.register(hooks.CONTENT_READ, content_read)
        hooks.register(hooks.QUESTION_FACTS, question_facts)
        hooks.register(hooks.QUESTION_TOP_ANSWER, question_top_answer)
        hooks.register(hooks.PRODUCT_PAGE_SECTIONS, product_reviews_section, order=20)
        hooks.register(hooks.PRODUCT_PAGE_SECTIONS, product_questions_section, order=30)
        for contributions in (activity.reviews_of, activity.threads_of, activity.answers_of):
            profile_activity_register(contributions)

        hooks.register(hooks.HOME_SECTIONS, home_section)
        hooks.register(hooks.HOME_PAGE_NAMESPACES, home_namespaces)
        hooks.register(hooks.DEMO_DATA, seed_reviews, order=20)
        hooks.register(hooks.DEMO_DATA, seed_qa, order=30)
        hooks.register(hooks.DEMO_DATA, seed_forums, order=40)
        hooks.register(hooks.DEMO_DATA, seed_polls, order=50)
        hooks.register(hooks.USER_DATA_EXPORT, forum_data_export)
        hooks.register(hooks.USER_ANONYMISE, forum_user_anonymise)
        hooks.register(hooks.USER_DATA_EXPORT, community_data_export)
        hooks.register(hooks.USER_ANONYMISE, community_user_anonymise)
