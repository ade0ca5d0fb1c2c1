"""The community's front page and the home page's "Latest in the community":
what is public, alike for everyone, so it is rendered once per change of
any public content (the `community:landing` page-cache namespace, bumped by
the kernel on every publication, hide, restore and edit)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from community.models import ContentStatus, Poll, Question, Review, Thread
from community.selectors.members import Author, authors_for

LANDING_NAMESPACE = "community:landing"


@dataclass
class Landing:
    threads: list[Thread]
    questions: list[Question]
    polls: list[Poll]
    reviews: list[Review]
    authors: dict[int, Author]


def landing(*, threads: int = 6, questions: int = 6, polls: int = 3, reviews: int = 4) -> Landing:
    """Latest threads, open questions, polls still open, and well-rated,
    helpful recent reviews. Five queries, plus the author lines' own."""
    now = timezone.now()
    published = ContentStatus.PUBLISHED
    thread_list = list(
        Thread.objects.filter(status=published)
        .select_related("category", "author")
        .order_by("-last_post_at", "-pk")[:threads]
    )
    question_list = list(
        Question.objects.filter(
            status=published, closed_as_duplicate_of__isnull=True, accepted_answer__isnull=True
        )
        .select_related("author", "product")
        .order_by("answer_count", "-created_at", "-pk")[:questions]
    )
    poll_list = list(
        Poll.objects.filter(status=published, closed_at__isnull=True)
        .filter(Q(close_at__isnull=True) | Q(close_at__gt=now))
        .select_related("author")
        .order_by("-created_at", "-pk")[:polls]
    )
    review_list = list(
        Review.objects.filter(status=published, stars__gte=4)
        .select_related("author", "product")
        .order_by("-helpful_count", "-created_at", "-pk")[:reviews]
    )
    users = [
        item.author
        for group in (thread_list, question_list, poll_list, review_list)
        for item in group
    ]
    authors = authors_for(users=users, product_ids={r.product_id for r in review_list})
    return Landing(
        threads=thread_list,
        questions=question_list,
        polls=poll_list,
        reviews=review_list,
        authors=authors,
    )
