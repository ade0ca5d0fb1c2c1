"""Reviews under real concurrency, on PostgreSQL: real threads, each with its
own connection, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.utils import translation

from community.models import ProductRating, Review, ReviewVote
from community.services.reviews import review_create, review_vote
from community.tests.factories import MemberFactory, trusted
from core.exceptions import ApplicationError
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@dataclass
class Outcome:
    done: list = field(default_factory=list)
    refusals: list[ApplicationError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _run_together(calls: list[Callable[[], object]]) -> Outcome:
    outcome = Outcome()
    barrier = threading.Barrier(len(calls))

    def worker(call) -> None:
        try:
            barrier.wait(timeout=60)
            try:
                with translation.override("en"):
                    result = call()
            except ApplicationError as exc:
                with outcome.lock:
                    outcome.refusals.append(exc)
            except BaseException as exc:  # noqa: BLE001 - every surprise is counted
                with outcome.lock:
                    outcome.errors.append(exc)
            else:
                with outcome.lock:
                    outcome.done.append(result)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in workers), "a thread hung"
    return outcome


def _members(count: int) -> list:
    return [trusted(MemberFactory(), 2) for _ in range(count)]


def test_one_review_per_member_per_product_when_written_at_once(postgres_required):
    # given
    [member] = _members(1)
    product = ProductFactory()

    def write(n: int):
        return lambda: review_create(
            user=member, product=product, stars=5, title=f"Try {n}", body="Same member"
        )

    # when
    outcome = _run_together([write(n) for n in range(THREADS)])

    # then
    assert outcome.errors == []
    assert len(outcome.done) == 1
    assert len(outcome.refusals) == THREADS - 1
    assert {e.code for e in outcome.refusals} == {"already_reviewed"}
    assert Review.objects.filter(product=product, author=member).count() == 1
    assert ProductRating.objects.get(product=product).count == 1


def test_rating_is_exact_when_many_reviews_are_written_at_once(postgres_required):
    # given: no rating row yet (created by the first writer, safely)
    members = _members(THREADS)
    product = ProductFactory()
    stars = [(n % 5) + 1 for n in range(THREADS)]

    def write(member, value):
        return lambda: review_create(
            user=member, product=product, stars=value, title="At once", body="Concurrent"
        )

    # when
    outcome = _run_together([write(m, s) for m, s in zip(members, stars, strict=True)])

    # then
    assert outcome.errors == [] and outcome.refusals == []
    rating = ProductRating.objects.get(product=product)
    assert rating.count == THREADS
    assert rating.sum == sum(stars)
    assert [getattr(rating, f"stars_{s}") for s in range(1, 6)] == [
        stars.count(s) for s in range(1, 6)
    ]


def test_one_helpful_vote_per_member_when_voting_at_once(postgres_required):
    # given
    author, voter = _members(2)
    review = review_create(user=author, product=ProductFactory(), stars=4, title="Vote", body="Me")

    # when
    outcome = _run_together([lambda: review_vote(review_id=review.pk, voter=voter)] * THREADS)

    # then
    assert outcome.errors == []
    assert len(outcome.done) == 1
    assert {e.code for e in outcome.refusals} == {"already_voted"}
    assert ReviewVote.objects.filter(review=review).count() == 1
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_helpful_count_is_exact_when_many_members_vote_at_once(postgres_required):
    author, *voters = _members(THREADS + 1)
    review = review_create(user=author, product=ProductFactory(), stars=4, title="Vote", body="Us")

    outcome = _run_together([lambda v=v: review_vote(review_id=review.pk, voter=v) for v in voters])

    assert outcome.errors == [] and outcome.refusals == []
    review.refresh_from_db()
    assert review.helpful_count == THREADS == ReviewVote.objects.count()
