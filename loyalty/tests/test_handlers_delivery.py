"""The earning handlers behind the real outbox and the real community
services: redeliveries award nothing twice, a moderation journey ends where
it started, and concurrent first reviews of a product earn one bonus."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from community.events import ReviewPublished, ReviewVoted
from community.models import CommunitySettings
from community.services import moderation
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    make_moderator,
    review_write,
)
from core.events import publish
from core.models import OutboxDelivery
from core.services import outbox_deliver_events
from loyalty import rule_handlers as h
from loyalty.models import Award, EarningRule, FirstReview, LedgerEntry, RuleCode
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.rules import earning_rules_ensure
from shop.tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _reconciled(django_db_blocker):
    with django_db_blocker.unblock():
        earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows
    yield
    assert list(ledger_mismatches()) == []


@pytest.mark.django_db
def test_a_thousand_events_each_delivered_three_times_make_a_thousand_awards(
    django_capture_on_commit_callbacks,
):
    # given
    author = UserFactory()
    EarningRule.objects.filter(code=RuleCode.REVIEW_HELPFUL).update(daily_cap=None)
    events = [
        ReviewVoted(review_id=1, voter_id=100_000 + n, author_id=author.pk, product_id=1)
        for n in range(1000)
    ]

    # when published through the outbox (first delivery after commit) ...
    with django_capture_on_commit_callbacks(execute=True):
        for event in events:
            publish(event)
    # ... and delivered twice more, as after a lost acknowledgement
    ids = [event.event_id for event in events]
    loyalty_deliveries = OutboxDelivery.objects.filter(
        event_id__in=ids, handler="loyalty.review_helpful"
    )
    for _again in range(2):
        loyalty_deliveries.update(status=OutboxDelivery.Status.PENDING, attempts=0)
        outbox_deliver_events(event_ids=ids)

    # then
    assert loyalty_deliveries.filter(status=OutboxDelivery.Status.DELIVERED).count() == 1000
    assert Award.objects.filter(user=author, rule=RuleCode.REVIEW_HELPFUL).count() == 1000
    assert LedgerEntry.objects.filter(user=author).count() == 1000
    assert balance_of(user_id=author.pk).available == 2000


@pytest.mark.django_db
def test_a_review_approved_removed_restored_and_removed_ends_where_it_started(
    django_capture_on_commit_callbacks,
):
    # given a new member whose review waits for approval
    author, product, moderator = NewMemberFactory(), ProductFactory(), make_moderator()
    row = CommunitySettings.current()
    row.new_require_approval = True
    row.buyers_trusted = False
    row.save()
    EarningRule.objects.filter(code=RuleCode.FIRST_REVIEW).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        review = review_write(author, product)
    assert balance_of(user_id=author.pk).available == 0

    balances, entries = [], []
    steps = [
        lambda: moderation.content_approve(content=review, moderator=moderator),
        lambda: moderation.content_hide(content=review, moderator=moderator, reason="spam"),
        lambda: moderation.content_restore(content=review, moderator=moderator),
        lambda: moderation.content_hide(content=review, moderator=moderator, reason="spam"),
    ]

    # when
    for step in steps:
        with django_capture_on_commit_callbacks(execute=True):
            step()
        balances.append(balance_of(user_id=author.pk).available)
        entries.append(LedgerEntry.objects.filter(user=author).count())

    # then
    points = EarningRule.objects.get(code=RuleCode.REVIEW).points
    assert balances == [points, 0, points, 0]
    assert entries == [1, 2, 3, 4]
    assert Award.objects.get(user=author).subject == f"review:{review.pk}"


@pytest.mark.django_db
def test_a_member_s_published_review_shows_as_incentivised(django_capture_on_commit_callbacks):
    # given
    from community.tests.factories import trusted

    author, product = trusted(MemberFactory(), 2), ProductFactory()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        review = review_write(author, product)

    # then
    from community.selectors.reviews import incentivised_ids

    assert incentivised_ids(ids=[review.pk]) == {review.pk}


@pytest.mark.django_db(transaction=True)  # earning rules: the autouse fixture above
def test_concurrent_first_reviews_of_a_product_earn_one_bonus():
    # given
    authors = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(authors))
    errors = []

    def deliver(n, author):
        try:
            barrier.wait()
            h.review_published(
                ReviewPublished(
                    review_id=n + 1,
                    author_id=author.pk,
                    product_id=42,
                    stars=5,
                    verified_buyer=False,
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n, a)) for n, a in enumerate(authors)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert errors == []
    assert FirstReview.objects.count() == 1
    bonus = Award.objects.get(rule=RuleCode.FIRST_REVIEW)
    assert bonus.subject == f"review:{FirstReview.objects.get().review_id}"
    assert Award.objects.filter(rule=RuleCode.REVIEW).count() == len(authors)
    assert list(ledger_mismatches()) == []
