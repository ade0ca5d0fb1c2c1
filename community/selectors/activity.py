"""A member's public contributions, for their profile page: reviews,
threads and answers, each a count and the latest few (public ones only,
whoever looks). Registered with selectors.members.profile_activity_register."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import Answer, ContentStatus, Review, Thread

PUBLISHED = ContentStatus.PUBLISHED


def reviews_of(*, user, viewer=None, limit: int = 5) -> dict:
    reviews = Review.objects.filter(author=user, status=PUBLISHED)
    latest = reviews.select_related("product").order_by("-created_at", "-pk")[:limit]
    return {
        "code": "reviews",
        "title": _("Reviews"),
        "count": reviews.count(),
        "items": [
            {
                "title": f"{review.title}",
                "url": review.get_absolute_url(),
                "date": review.created_at,
                "meta": f"{'★' * review.stars} · {review.product.name}",
            }
            for review in latest
        ],
    }


def threads_of(*, user, viewer=None, limit: int = 5) -> dict:
    threads = Thread.objects.filter(author=user, status=PUBLISHED)
    latest = threads.select_related("category").order_by("-created_at", "-pk")[:limit]
    return {
        "code": "threads",
        "title": _("Discussions started"),
        "count": threads.count(),
        "items": [
            {
                "title": thread.title,
                "url": thread.get_absolute_url(),
                "date": thread.created_at,
                "meta": thread.category.name,
            }
            for thread in latest
        ],
    }


def answers_of(*, user, viewer=None, limit: int = 5) -> dict:
    answers = Answer.objects.filter(author=user, status=PUBLISHED, question__status=PUBLISHED)
    latest = answers.select_related("question").order_by("-created_at", "-pk")[:limit]
    return {
        "code": "answers",
        "title": _("Answers"),
        "count": answers.count(),
        "items": [
            {
                "title": answer.question.title,
                "url": answer.get_absolute_url(),
                "date": answer.created_at,
                "meta": (_("Accepted") if answer.is_accepted else "")
                or ngettext("%(score)d vote", "%(score)d votes", abs(answer.score))
                % {"score": answer.score},
            }
            for answer in latest
        ],
    }
