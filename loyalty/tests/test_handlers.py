"""The earning rules' handlers: each trigger awards once, a second delivery
is a no-op, orders and moderation reverse what they earned exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.events import EmailVerified, UserSignedUp
from accounts.tests.factories import StaffFactory, UserFactory
from community.events import (
    AnswerAccepted,
    AnswerPosted,
    AnswerUnaccepted,
    ContentRemoved,
    ContentRestored,
    PollVoted,
    PostCreated,
    ReviewPublished,
    ReviewVoted,
    ThreadCreated,
)
from community.tests.factories import trusted
from loyalty import rule_handlers as h
from loyalty.models import Award, EarningRule, LedgerEntry, PaidOrder, RuleCode
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_release_due
from loyalty.services.rules import earning_rules_ensure
from shop.events import (
    OrderCancelled,
    OrderDelivered,
    OrderPaid,
    OrderRefundDue,
    OrderRefunded,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconciled(django_db_blocker):
    with django_db_blocker.unblock():
        earning_rules_ensure()  # a transactional test elsewhere flushes the migration's rows
    yield
    assert list(ledger_mismatches()) == []


def _points(code: str) -> int:
    return EarningRule.objects.get(code=code).points


def _later(seconds: int = 1):
    return timezone.now() + timedelta(seconds=seconds)


def _available(user) -> int:
    return balance_of(user_id=user.pk).available


def _awards(user) -> list[tuple[str, str, int, int]]:
    return sorted(Award.objects.filter(user=user).values_list("rule", "subject", "points", "net"))


def _twice(handler, event) -> None:
    handler(event)
    handler(event)


def _paid(user, order_id=7, total="1250000.00", at=None, shipping="0.00") -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        number=f"K-{order_id}",
        user_id=user.pk,
        total=total,
        shipping=shipping,
        currency="IDR",
        product_ids=[1],
        occurred_at=at or timezone.now(),
    )


# ------------------------------------------------------------------ shop
def test_a_paid_order_earns_pending_points_on_its_total_once():
    # given
    member = UserFactory()

    # when
    _twice(h.purchase_paid, _paid(member, total="1250000.00"))

    # then
    award = Award.objects.get(user=member)
    assert (award.rule, award.subject, award.points, award.pending) == (
        "purchase",
        "order:7",
        125,
        True,
    )
    assert award.hold_order_id == 7
    balance = balance_of(user_id=member.pk)
    assert (balance.available, balance.pending) == (0, 125)
    assert PaidOrder.objects.get(order_id=7).total == 1250000


def test_shipping_earns_no_points():
    member = UserFactory()

    h.purchase_paid(_paid(member, total="1268000.00", shipping="18000.00"))

    assert Award.objects.get(user=member).points == 125


def test_delivered_order_points_become_available_after_the_return_window():
    # given
    member = UserFactory()
    h.purchase_paid(_paid(member))

    # when
    _twice(h.purchase_delivered, OrderDelivered(order_id=7, user_id=member.pk))
    points_release_due(now=timezone.now() + timedelta(days=30))

    # then
    balance = balance_of(user_id=member.pk)
    assert (balance.available, balance.pending) == (125, 0)


def test_a_cancelled_order_reverses_its_points_once():
    # given
    member = UserFactory()
    h.purchase_paid(_paid(member))

    # when
    _twice(
        h.purchase_cancelled,
        OrderCancelled(order_id=7, user_id=member.pk, was_paid=True, occurred_at=_later()),
    )

    # then
    assert _awards(member) == [("purchase", "order:7", 125, 0)]
    assert balance_of(user_id=member.pk).pending == 0
    assert LedgerEntry.objects.filter(user=member, kind="reverse").count() == 1


def test_a_partial_refund_reverses_its_share_once_and_a_second_refund_the_rest():
    # given
    member = UserFactory()
    h.purchase_paid(_paid(member, total="1000000.00"))

    # when 40 % is refunded (delivered twice)
    refund = OrderRefunded(
        order_id=7,
        user_id=member.pk,
        amount="400000.00",
        refunded_total="400000.00",
        full=False,
        occurred_at=_later(1),
    )
    _twice(h.purchase_refunded, refund)

    # then
    assert _awards(member) == [("purchase", "order:7", 100, 60)]
    assert LedgerEntry.objects.filter(user=member, kind="reverse").count() == 1

    # when the rest is refunded
    h.purchase_refunded(
        OrderRefunded(
            order_id=7,
            user_id=member.pk,
            amount="600000.00",
            refunded_total="1000000.00",
            full=True,
            occurred_at=_later(2),
        )
    )

    # then
    assert _awards(member) == [("purchase", "order:7", 100, 0)]
    assert balance_of(user_id=member.pk).pending == 0


def test_a_cancellation_delivered_before_the_payment_still_cancels_the_orders_points():
    # given: the cancellation's delivery overtook the payment's (a retry)
    member = UserFactory()
    paid = _paid(member, order_id=8, total="1000000.00")
    cancelled = OrderCancelled(
        order_id=8, user_id=member.pk, was_paid=True, occurred_at=paid.occurred_at + timedelta(1)
    )

    # when
    h.purchase_cancelled(cancelled)
    _twice(h.purchase_paid, paid)

    # then: awarded and taken back, once
    assert _awards(member) == [("purchase", "order:8", 100, 0)]
    assert balance_of(user_id=member.pk).pending == 0
    assert LedgerEntry.objects.filter(user=member, kind="reverse").count() == 1


def test_a_partial_refund_delivered_before_the_payment_leaves_its_share_standing():
    # given
    member = UserFactory()
    paid = _paid(member, order_id=9, total="1000000.00")
    refund = OrderRefunded(
        order_id=9,
        user_id=member.pk,
        amount="250000.00",
        refunded_total="250000.00",
        full=False,
        occurred_at=paid.occurred_at + timedelta(1),
    )

    # when
    _twice(h.purchase_refunded, refund)
    h.purchase_paid(paid)

    # then
    assert _awards(member) == [("purchase", "order:9", 100, 75)]
    assert balance_of(user_id=member.pk).pending == 75


def test_an_order_cancelled_before_it_was_ever_paid_awards_nothing_later_events_undo():
    # given: an unpaid order cancelled; nothing was awarded
    member = UserFactory()

    # when
    h.purchase_cancelled(OrderCancelled(order_id=10, user_id=member.pk, was_paid=False))

    # then
    assert not Award.objects.filter(user=member).exists()
    assert not LedgerEntry.objects.filter(user=member).exists()


def test_a_refund_due_reverses_nothing():
    # given
    member = UserFactory()
    h.purchase_paid(_paid(member))
    entries = LedgerEntry.objects.count()

    # when
    h.purchase_refund_due(
        OrderRefundDue(
            order_id=7,
            number="K-7",
            user_id=member.pk,
            amount="1250000.00",
            currency="IDR",
            reason="late payment",
            occurred_at=_later(),
        )
    )

    # then
    assert LedgerEntry.objects.count() == entries
    assert _awards(member) == [("purchase", "order:7", 125, 125)]


def test_a_guest_order_earns_nothing():
    # when
    h.purchase_paid(
        OrderPaid(
            order_id=8,
            number="K-8",
            user_id=None,
            total="500000.00",
            currency="IDR",
            product_ids=[],
        )
    )

    # then
    assert not Award.objects.exists()


# ------------------------------------------------------------------ accounts
def test_sign_up_and_email_verified_each_award_once():
    # given
    member = UserFactory()

    # when
    _twice(h.signup, UserSignedUp(user_id=member.pk))
    _twice(h.email_verified, EmailVerified(user_id=member.pk, email=member.email))

    # then
    subject = f"user:{member.pk}"
    assert _awards(member) == [
        ("email_verified", subject, 50, 50),
        ("signup", subject, 100, 100),
    ]


# ------------------------------------------------------------------ community
def _review(author, review_id=12, product_id=3, photos=0, at=None) -> ReviewPublished:
    return ReviewPublished(
        review_id=review_id,
        author_id=author.pk,
        product_id=product_id,
        stars=5,
        verified_buyer=True,
        photo_count=photos,
        occurred_at=at or timezone.now(),
    )


def test_a_review_with_photos_that_is_its_products_first_earns_three_awards_once():
    # given
    author = UserFactory()

    # when
    _twice(h.review_published, _review(author, photos=2))

    # then
    assert _awards(author) == [
        ("first_review", "review:12", 30, 30),
        ("review", "review:12", 20, 20),
        ("review_photo", "review:12", 10, 10),
    ]


def test_only_the_first_review_of_a_product_earns_the_bonus():
    # given
    first, second = UserFactory(), UserFactory()
    h.review_published(_review(first, review_id=1))

    # when
    h.review_published(_review(second, review_id=2))
    h.review_published(_review(first, review_id=1))

    # then
    assert Award.objects.filter(rule=RuleCode.FIRST_REVIEW).count() == 1
    assert _awards(second) == [("review", "review:2", 20, 20)]


def test_a_helpful_vote_rewards_the_author_and_withdrawing_it_takes_it_back():
    # given
    author, voter = UserFactory(), UserFactory()
    vote = {"review_id": 12, "voter_id": voter.pk, "author_id": author.pk, "product_id": 3}

    # when
    _twice(h.review_voted, ReviewVoted(**vote))
    _twice(h.review_voted, ReviewVoted(**vote, helpful=False, occurred_at=_later()))

    # then
    assert _awards(author) == [("review_helpful", f"review-vote:12:{voter.pk}", 2, 0)]
    assert not Award.objects.filter(user=voter).exists()


def test_an_answer_and_its_acceptance_earn_and_unaccepting_takes_back_only_the_bonus():
    # given
    author, asker = UserFactory(), UserFactory()
    ids = {"answer_id": 5, "question_id": 4, "author_id": author.pk}

    # when
    _twice(h.answer_posted, AnswerPosted(**ids, question_author_id=asker.pk))
    _twice(h.answer_accepted, AnswerAccepted(**ids, accepted_by_id=asker.pk))
    _twice(
        h.answer_unaccepted,
        AnswerUnaccepted(**ids, accepted_by_id=asker.pk, occurred_at=_later(1)),
    )

    # then
    assert _awards(author) == [("answer", "answer:5", 5, 5), ("answer_accepted", "answer:5", 15, 0)]

    # when accepted again
    _twice(h.answer_accepted, AnswerAccepted(**ids, accepted_by_id=asker.pk, occurred_at=_later(2)))

    # then
    assert _awards(author) == [
        ("answer", "answer:5", 5, 5),
        ("answer_accepted", "answer:5", 15, 15),
    ]
    assert _available(author) == 20


def test_an_unaccepted_answer_removed_and_restored_does_not_regain_the_acceptance_bonus():
    # given: accepted, then no longer accepted
    author, asker = UserFactory(), UserFactory()
    ids = {"answer_id": 6, "question_id": 4, "author_id": author.pk}
    h.answer_posted(AnswerPosted(**ids, question_author_id=asker.pk))
    h.answer_accepted(AnswerAccepted(**ids, accepted_by_id=asker.pk))
    h.answer_unaccepted(AnswerUnaccepted(**ids, accepted_by_id=asker.pk, occurred_at=_later(1)))
    content = {"kind": "answer", "content_id": 6, "author_id": author.pk}

    # when a moderator removes the answer and restores it
    h.content_removed(ContentRemoved(**content, occurred_at=_later(2)))
    h.content_restored(ContentRestored(**content, occurred_at=_later(3)))

    # then the answer's own points stand again, the withdrawn bonus does not
    assert _awards(author) == [("answer", "answer:6", 5, 5), ("answer_accepted", "answer:6", 15, 0)]
    assert _available(author) == 5

    # when accepted again, the bonus stands once more, and survives a removal and restore
    h.answer_accepted(AnswerAccepted(**ids, accepted_by_id=asker.pk, occurred_at=_later(4)))
    h.content_removed(ContentRemoved(**content, occurred_at=_later(5)))
    h.content_restored(ContentRestored(**content, occurred_at=_later(6)))

    # then
    assert _awards(author) == [
        ("answer", "answer:6", 5, 5),
        ("answer_accepted", "answer:6", 15, 15),
    ]
    assert _available(author) == 20


def test_a_thread_and_a_reply_earn_for_trusted_members_and_not_for_new_ones():
    # given
    member, newcomer = trusted(UserFactory(), level=1), trusted(UserFactory(), level=0)

    # when
    _twice(
        h.thread_created,
        ThreadCreated(thread_id=1, post_id=10, author_id=member.pk, category_id=1),
    )
    _twice(
        h.post_created,
        PostCreated(
            post_id=11, thread_id=1, author_id=member.pk, category_id=1, thread_author_id=member.pk
        ),
    )
    h.post_created(
        PostCreated(
            post_id=12,
            thread_id=1,
            author_id=newcomer.pk,
            category_id=1,
            thread_author_id=member.pk,
        )
    )

    # then
    assert _awards(member) == [("forum_reply", "post:11", 2, 2), ("forum_thread", "post:10", 5, 5)]
    assert not Award.objects.filter(user=newcomer).exists()
    assert not LedgerEntry.objects.filter(user=newcomer).exists()


def test_a_poll_vote_earns_once_and_a_changed_vote_earns_nothing():
    # given
    voter = UserFactory()
    vote = {"poll_id": 3, "voter_id": voter.pk, "option_ids": [1], "author_id": voter.pk + 1000}

    # when
    _twice(h.poll_voted, PollVoted(**vote))
    h.poll_voted(PollVoted(**vote, first_vote=False))

    # then
    assert _awards(voter) == [("poll_vote", "poll-vote:3", 1, 1)]


def test_staff_earn_no_community_points():
    # given
    staff = StaffFactory()

    # when
    h.review_published(_review(staff))

    # then
    assert not Award.objects.exists()


def test_a_removed_thread_reverses_its_points_and_restoring_it_re_awards_once():
    # given
    member = trusted(UserFactory(), level=2)
    h.thread_created(ThreadCreated(thread_id=1, post_id=10, author_id=member.pk, category_id=1))
    removed = ContentRemoved(kind="post", content_id=10, author_id=member.pk, occurred_at=_later(1))
    restored = ContentRestored(
        kind="post", content_id=10, author_id=member.pk, occurred_at=_later(2)
    )

    # when
    _twice(h.content_removed, removed)

    # then
    assert _available(member) == 0

    # when
    _twice(h.content_restored, restored)
    h.content_removed(removed)  # a late redelivery of the older removal

    # then
    assert _available(member) == 5
    assert LedgerEntry.objects.filter(user=member).count() == 3


def test_a_disabled_rule_awards_nothing_from_its_event():
    # given
    member = UserFactory()
    EarningRule.objects.filter(code=RuleCode.SIGNUP).update(enabled=False)

    # when
    h.signup(UserSignedUp(user_id=member.pk))

    # then
    assert not Award.objects.exists()
    assert not LedgerEntry.objects.exists()
