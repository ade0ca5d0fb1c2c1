"""Leaderboards: Redis and the ledger give the same answers, a rebuild puts
a board right after Redis lost its keys, staff never appear, ties are broken
by member id, a member outside the top N gets their rank, and the database
path costs the same queries whatever the board's size."""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import Area, ProgramSettings
from loyalty.selectors.leaderboards import (
    ALL_TIME,
    MONTH,
    OVERALL,
    WEEK,
    leaderboard,
    redis_client,
)
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.leaderboards import leaderboard_rebuild, leaderboards_rebuild
from loyalty.services.ledger import award_standing, points_award, points_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_db():
    client = redis_client()
    if client is None:
        pytest.skip("needs REDIS_URL")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def award(django_capture_on_commit_callbacks):
    def make(user, points, *, area=Area.REVIEWS, rule="review", subject=None):
        with django_capture_on_commit_callbacks(execute=True):
            return points_award(
                user_id=user.pk,
                rule=rule,
                subject=subject or f"{rule}:{uuid.uuid4().hex[:10]}",
                points=points,
                area=area,
                source_event_id=uuid.uuid4(),
                occurred_at=timezone.now(),
            )

    return make


def _answer(board):
    me = (board.me.rank, board.me.user_id, board.me.points) if board.me else None
    return [(p.rank, p.user_id, p.points) for p in board.top], me


def _from_database(**kwargs):
    with override_settings(REDIS_URL=""):
        board = leaderboard(**kwargs)
    assert board.source == "database"
    return board


def test_redis_and_the_ledger_answer_the_same(redis_db, award):
    # given
    members = UserFactory.create_batch(6)
    staff = StaffFactory()
    for index, member in enumerate(members):
        award(member, 10 * (index % 3 + 1), area=Area.REVIEWS)
        award(member, 5 * index, area=Area.FORUM) if index else None
    award(staff, 999)
    award(members[0], 40, area=Area.SHOP, rule="purchase", subject="order:1")
    award_standing(user_id=members[0].pk, rule="purchase", subject="order:1", share=0.5)
    points_redeem(user_id=members[1].pk, points=10, subject="order:2")
    leaderboards_rebuild()
    award(members[5], 7, area=Area.ANSWERS)  # after the rebuild: Redis follows it
    ProgramSettings.objects.update_or_create(pk=1, defaults={"leaderboard_size": 3})

    for scope in (WEEK, MONTH, ALL_TIME):
        for area in (OVERALL, Area.REVIEWS, Area.ANSWERS, Area.FORUM):
            for member in (members[0], members[4], staff):
                # when
                from_redis = leaderboard(scope=scope, area=area, user_id=member.pk)
                from_db = _from_database(scope=scope, area=area, user_id=member.pk)

                # then
                assert from_redis.source == "redis"
                assert _answer(from_redis) == _answer(from_db), (scope, area, member)
    assert list(ledger_mismatches()) == []


def test_a_rebuild_puts_a_board_right_after_redis_lost_its_keys(redis_db, award):
    # given
    first, second = UserFactory(), UserFactory()
    award(first, 50)
    award(second, 30)
    leaderboard_rebuild(scope=WEEK, area=OVERALL)
    redis_db.flushdb()
    award(second, 40)  # only this increment reaches Redis

    # when the keys are gone the board reads from the ledger
    lost = leaderboard(scope=WEEK)

    # then
    assert lost.source == "database"
    assert _answer(lost)[0] == [(1, second.pk, 70), (2, first.pk, 50)]

    # when
    leaderboard_rebuild(scope=WEEK, area=OVERALL)
    rebuilt = leaderboard(scope=WEEK)

    # then
    assert rebuilt.source == "redis"
    assert _answer(rebuilt) == _answer(_from_database(scope=WEEK))
    assert redis_db.keys("loyalty:lb:*:build:*") == []


def test_staff_never_appear_and_have_no_rank(award):
    # given
    member, staff = UserFactory(), StaffFactory()
    award(member, 10)
    award(staff, 500)

    # when
    board = _from_database(scope=ALL_TIME, user_id=staff.pk)

    # then
    assert _answer(board) == ([(1, member.pk, 10)], None)


def test_ties_are_broken_by_the_lower_member_id(redis_db, award):
    # given
    members = sorted(UserFactory.create_batch(3), key=lambda u: u.pk, reverse=True)
    for member in members:
        award(member, 25)
    leaderboards_rebuild()

    # when
    from_redis = leaderboard(scope=MONTH)
    from_db = _from_database(scope=MONTH)

    # then
    expected = [(rank, pk, 25) for rank, pk in enumerate(sorted(m.pk for m in members), 1)]
    assert _answer(from_redis)[0] == expected
    assert _answer(from_db)[0] == expected


def test_a_member_outside_the_top_n_gets_their_rank(redis_db, award):
    # given
    ProgramSettings.objects.update_or_create(pk=1, defaults={"leaderboard_size": 3})
    members = UserFactory.create_batch(5)
    for points, member in zip([90, 80, 70, 60, 50], members, strict=True):
        award(member, points)
    award(StaffFactory(), 65)  # staff ahead of the member do not count
    leaderboards_rebuild()

    # when
    from_redis = leaderboard(scope=WEEK, user_id=members[4].pk)
    from_db = _from_database(scope=WEEK, user_id=members[4].pk)
    nobody = _from_database(scope=WEEK, user_id=UserFactory().pk)

    # then
    assert len(from_redis.top) == 3
    assert (from_redis.me.rank, from_redis.me.points) == (5, 50)
    assert _answer(from_redis) == _answer(from_db)
    assert nobody.me is None


def test_an_area_board_counts_only_that_area(award):
    # given
    reviewer, shopper = UserFactory(), UserFactory()
    award(reviewer, 20, area=Area.REVIEWS)
    award(shopper, 200, area=Area.SHOP, rule="purchase")

    # when
    reviews = _from_database(scope=WEEK, area=Area.REVIEWS)
    overall = _from_database(scope=WEEK, area=OVERALL)

    # then
    assert _answer(reviews)[0] == [(1, reviewer.pk, 20)]
    assert _answer(overall)[0] == [(1, shopper.pk, 200), (2, reviewer.pk, 20)]


@pytest.mark.parametrize("members", [12, 40])
def test_the_database_path_costs_the_same_queries_whatever_the_size(
    members, award, django_assert_num_queries
):
    # given
    users = UserFactory.create_batch(members)
    for index, user in enumerate(users):
        award(user, index + 1)
    me = users[0]  # the fewest points: outside the top 10
    ProgramSettings.current()

    # when
    with override_settings(REDIS_URL=""), django_assert_num_queries(5):
        board = leaderboard(scope=ALL_TIME, user_id=me.pk)

    # then
    assert board.me.rank == members


def test_a_redis_that_is_down_breaks_neither_an_award_nor_a_board(award):
    # given
    member = UserFactory()

    # when
    with override_settings(REDIS_URL="redis://127.0.0.1:1/15"):
        award(member, 15)
        board = leaderboard(scope=WEEK, user_id=member.pk)
        rebuilt = leaderboard_rebuild(scope=WEEK, area=OVERALL)

    # then
    assert board.source == "database"
    assert _answer(board) == ([(1, member.pk, 15)], (1, member.pk, 15))
    assert rebuilt is False
    assert list(ledger_mismatches()) == []


def _from_ledger_sums(*, scope, area, user_id, size=10):
    from loyalty.selectors.leaderboards import _from_ledger, period_of

    top, me = _from_ledger(
        scope=scope, area=area, period=period_of(scope=scope), size=size, user_id=user_id
    )
    return [(p.rank, p.user_id, p.points) for p in top], (
        (me.rank, me.user_id, me.points) if me else None
    )


def test_the_kept_scores_answer_as_the_ledger_sums_after_awards_and_reversals(award):
    # given: awards in two areas, one reversed in part, one in full, a spend
    from loyalty.models import BoardScore

    members = UserFactory.create_batch(6)
    for index, member in enumerate(members):
        award(member, 10 * (index + 1), subject=f"review:{index}")
        award(member, 5, area=Area.ANSWERS, rule="answer", subject=f"answer:{index}")
    award_standing(user_id=members[5].pk, rule="review", subject="review:5", share=0.5)
    award_standing(user_id=members[4].pk, rule="answer", subject="answer:4", share=0)
    points_redeem(user_id=members[3].pk, points=20, subject="order:1")

    # then: every board read from the kept scores equals the ledger's sums
    for scope in (WEEK, MONTH, ALL_TIME):
        for area in (OVERALL, Area.REVIEWS, Area.ANSWERS):
            for member in (members[0], members[5]):
                board = _from_database(scope=scope, area=area, user_id=member.pk, size=3)
                assert _answer(board) == _from_ledger_sums(
                    scope=scope, area=area, user_id=member.pk, size=3
                )
    assert BoardScore.objects.get(user=members[5], area=OVERALL, period="all").points == 35
    assert list(ledger_mismatches()) == []


def test_reconcile_reports_a_leaderboard_score_that_disagrees_with_the_ledger(award):
    from loyalty.models import BoardScore

    member = UserFactory()
    award(member, 30)
    BoardScore.objects.filter(user=member, area=Area.REVIEWS, period="all").update(points=99)

    assert [(m.what, m.key, m.cached, m.ledger) for m in ledger_mismatches()] == [
        ("leaderboard", f"{member.pk}/{Area.REVIEWS}", 99, 30)
    ]


def test_old_weeks_are_pruned_and_answered_from_the_ledger(award):
    # given: points earned eleven weeks ago (past what is kept) and this week
    import datetime as dt

    from loyalty.models import BoardScore, LedgerEntry
    from loyalty.selectors.leaderboards import period_of
    from loyalty.services.board_scores import board_scores_prune

    member = UserFactory()
    award(member, 40, subject="review:old")
    long_ago = timezone.now() - dt.timedelta(weeks=11)
    LedgerEntry.objects.filter(subject="review:old").update(created_at=long_ago)
    old_week = period_of(scope=WEEK, when=long_ago)
    BoardScore.objects.filter(period=period_of(scope=WEEK)).update(period=old_week)
    award(member, 5, subject="review:new")

    # when
    pruned = board_scores_prune()

    # then: the old week's rows went, this week's and all time stay
    assert pruned == 2  # overall and reviews
    assert not BoardScore.objects.filter(period=old_week).exists()
    old = _from_database(scope=WEEK, period=old_week, user_id=member.pk)
    assert _answer(old)[1] == (1, member.pk, 40)  # summed from the ledger
    assert _answer(_from_database(scope=WEEK, user_id=member.pk))[1] == (1, member.pk, 5)
    assert list(ledger_mismatches()) == []
