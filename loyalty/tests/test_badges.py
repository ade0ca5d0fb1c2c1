"""Badges and challenges, given as members earn points."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.models import Notification
from loyalty.models import (
    Badge,
    BadgeCriterion,
    BadgeLevel,
    Challenge,
    ChallengeCompletion,
    LedgerEntry,
    MemberBadge,
)
from loyalty.selectors.badges import badge_marks, badges_of, challenges_for
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.badges import leaderboard_badges_give, member_days_badges_give
from loyalty.services.ledger import award_standing, points_award

pytestmark = pytest.mark.django_db


def _badge(code, *, rule="review", threshold=1, level=BadgeLevel.BRONZE, **kwargs):
    return Badge.objects.create(
        code=code,
        name=code.replace("-", " ").title(),
        rule=rule,
        threshold=threshold,
        level=level,
        criterion=kwargs.pop("criterion", BadgeCriterion.AWARD_COUNT),
        **kwargs,
    )


def _review(member, n, points=10):
    return points_award(
        user_id=member.pk, rule="review", subject=f"review:{n}", points=points, area="reviews"
    )


def test_the_first_review_badge_is_given_once_with_a_notification():
    # given
    badge = _badge("first-review")
    member = UserFactory()

    # when: two reviews
    _review(member, 1)
    _review(member, 2)

    # then
    assert list(MemberBadge.objects.filter(user=member).values_list("badge", flat=True)) == [
        badge.pk
    ]
    notification = Notification.objects.get(recipient=member, kind="loyalty.badge")
    assert notification.data["name"] == "First Review"


def test_a_count_badge_waits_for_its_threshold_and_counts_only_standing_awards():
    # given: a badge for 3 reviews
    _badge("three-reviews", threshold=3, level=BadgeLevel.SILVER)
    member = UserFactory()
    _review(member, 1)
    _review(member, 2)
    award_standing(user_id=member.pk, rule="review", subject="review:2", share=0)

    # when: a third review, but one of the earlier was removed
    _review(member, 3)

    # then: two standing, no badge; a fourth gives it
    assert not MemberBadge.objects.filter(user=member).exists()
    _review(member, 4)
    assert MemberBadge.objects.filter(user=member, badge__code="three-reviews").exists()


def test_a_badge_is_kept_when_the_content_behind_it_is_removed_later():
    _badge("first-review")
    member = UserFactory()
    _review(member, 1)

    award_standing(user_id=member.pk, rule="review", subject="review:1", share=0)

    assert MemberBadge.objects.filter(user=member).count() == 1


def test_disabled_badges_and_other_rules_give_nothing():
    _badge("first-answer", rule="answer")
    _badge("off", enabled=False)
    member = UserFactory()

    _review(member, 1)

    assert not MemberBadge.objects.exists()


def test_a_points_total_badge_counts_points_earned_net_of_reversals():
    _badge("hundred", criterion=BadgeCriterion.POINTS_EARNED, rule="", threshold=100)
    member = UserFactory()
    _review(member, 1, points=60)

    _review(member, 2, points=50)

    assert MemberBadge.objects.filter(user=member, badge__code="hundred").exists()


def test_a_challenge_completes_once_with_bonus_points_and_its_badge():
    # given: "3 reviews this month", 100 bonus points and a badge
    now = timezone.now()
    badge = _badge("challenger", rule="", criterion=BadgeCriterion.POINTS_EARNED, threshold=10**6)
    challenge = Challenge.objects.create(
        name="Three reviews",
        rule="review",
        target=3,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=29),
        bonus_points=100,
        badge=badge,
    )
    member = UserFactory()

    # when
    for n in range(1, 5):
        _review(member, n)

    # then: 4 x 10 + 100 once, one completion, the badge, and the ledger agrees
    assert ChallengeCompletion.objects.filter(user=member, challenge=challenge).count() == 1
    assert balance_of(user_id=member.pk).available == 140
    assert LedgerEntry.objects.filter(user=member, rule="challenge").count() == 1
    assert MemberBadge.objects.filter(user=member, badge=badge).exists()
    assert Notification.objects.filter(recipient=member, kind="loyalty.challenge").count() == 1
    assert list(ledger_mismatches()) == []


def test_awards_before_a_challenge_started_do_not_count():
    now = timezone.now()
    member = UserFactory()
    _review(member, 1)
    _review(member, 2)
    challenge = Challenge.objects.create(
        name="Two reviews",
        rule="review",
        target=2,
        starts_at=now + dt.timedelta(seconds=1),
        ends_at=now + dt.timedelta(days=7),
        bonus_points=50,
    )
    progress = challenges_for(user_id=member.pk, now=now + dt.timedelta(seconds=2))

    assert [(p.challenge, p.count, p.completed) for p in progress] == [(challenge, 0, False)]


def test_challenge_progress_for_a_member_is_two_queries(django_assert_num_queries):
    now = timezone.now()
    for n in range(5):
        Challenge.objects.create(
            name=f"C{n}",
            rule="review",
            target=n + 1,
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=1),
        )
    member = UserFactory()
    _review(member, 1)

    with django_assert_num_queries(3):
        progress = challenges_for(user_id=member.pk)

    assert sorted(p.count for p in progress) == [1, 1, 1, 1, 1]
    assert [p.completed for p in progress if p.challenge.target == 1] == [True]


def test_member_days_badges_are_given_by_the_daily_task_once():
    badge = _badge("one-week", criterion=BadgeCriterion.MEMBER_DAYS, rule="", threshold=7)
    old = UserFactory()
    old.date_joined = timezone.now() - dt.timedelta(days=8)
    old.save()
    new = UserFactory()

    first, second = member_days_badges_give(), member_days_badges_give()

    assert (first, second) == (1, 0)
    assert list(badge.holders.values_list("user", flat=True)) == [old.pk]
    assert not MemberBadge.objects.filter(user=new).exists()


def test_last_months_top_earners_get_the_leaderboard_badge_staff_excluded():
    # given: a top-2 badge; three members and a staff member earned last month
    _badge("top-two", criterion=BadgeCriterion.LEADERBOARD_TOP, rule="", threshold=2)
    members = [UserFactory() for _ in range(3)]
    staff = UserFactory(is_staff=True)
    for member, points in zip([*members, staff], [30, 50, 10, 90], strict=True):
        points_award(user_id=member.pk, rule="answer", subject="a", points=points)
    month = timezone.localdate().replace(day=1)

    # when: the task runs twice
    first, second = leaderboard_badges_give(month=month), leaderboard_badges_give(month=month)

    # then
    assert (first, second) == (2, 0)
    holders = dict(MemberBadge.objects.values_list("user_id", "note"))
    assert holders == {
        members[1].pk: f"{month:%Y-%m} #1",
        members[0].pk: f"{month:%Y-%m} #2",
    }


def test_marks_beside_names_show_best_badges_first_in_one_query(django_assert_num_queries):
    # given
    _badge("first-review")
    _badge("gold-reviewer", threshold=2, level=BadgeLevel.GOLD)
    _badge("hidden", threshold=1, rule="review", show_next_to_name=False)
    members = [UserFactory() for _ in range(4)]
    for member in members:
        _review(member, 1)
        _review(member, 2)

    # when
    with django_assert_num_queries(1):
        marks = badge_marks([m.pk for m in members])

    # then
    assert [mark["label"] for mark in marks[members[0].pk]] == ["Gold Reviewer", "First Review"]
    assert len(marks) == 4
    assert badges_of(user_id=members[0].pk)[0].badge.code == "gold-reviewer"
