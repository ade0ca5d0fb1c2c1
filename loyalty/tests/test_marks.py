"""The marks beside members' names: tier and badges, from the cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from loyalty.marks import member_marks
from loyalty.marks_cache import all_marks_changed
from loyalty.models import Badge, BadgeCriterion, BadgeLevel
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _review(member, n):
    points_award(user_id=member.pk, rule="review", subject=f"review:{n}", points=10)


def test_marks_are_read_once_then_served_from_the_cache(django_assert_num_queries):
    # given
    Badge.objects.create(
        code="first", name="First review", rule="review", criterion=BadgeCriterion.AWARD_COUNT
    )
    members = [UserFactory() for _ in range(5)]
    for member in members:
        _review(member, 1)
    ids = [m.pk for m in members]

    # when
    with django_assert_num_queries(2):  # tiers, badges (a cold cache)
        cold = member_marks(ids)
    with django_assert_num_queries(0):
        warm = member_marks(ids)

    # then
    assert cold == warm
    assert [mark["label"] for mark in warm[members[0].pk]] == ["First review"]


def test_a_new_badge_shows_beside_the_name_after_its_commit(django_capture_on_commit_callbacks):
    # given: a member without marks, cached
    Badge.objects.create(
        code="gold",
        name="Gold reviewer",
        rule="review",
        threshold=2,
        level=BadgeLevel.GOLD,
        criterion=BadgeCriterion.AWARD_COUNT,
    )
    member = UserFactory()
    _review(member, 1)
    assert member_marks([member.pk]) == {}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _review(member, 2)

    # then
    assert member_marks([member.pk])[member.pk][0]["label"] == "Gold reviewer"


def test_a_badge_renamed_by_staff_shows_the_new_name(django_capture_on_commit_callbacks):
    badge = Badge.objects.create(
        code="first", name="First review", rule="review", criterion=BadgeCriterion.AWARD_COUNT
    )
    member = UserFactory()
    _review(member, 1)
    assert member_marks([member.pk])[member.pk][0]["label"] == "First review"

    Badge.objects.filter(pk=badge.pk).update(name="First words", name_en="First words")
    with django_capture_on_commit_callbacks(execute=True):
        all_marks_changed()

    assert member_marks([member.pk])[member.pk][0]["label"] == "First words"
