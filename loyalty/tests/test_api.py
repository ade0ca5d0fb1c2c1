"""The rewards program's API: the member's own balance and history only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from loyalty.models import Badge, BadgeCriterion, Challenge
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _earn(member, n, points=10, **kwargs):
    return points_award(
        user_id=member.pk, rule="review", subject=f"review:{n}", points=points, **kwargs
    )


def test_balance_and_history_need_a_signed_in_member(api):
    assert api.get("/api/v1/loyalty/balance/").status_code in (401, 403)
    assert api.get("/api/v1/loyalty/history/").status_code in (401, 403)


def test_a_member_reads_their_own_balance_and_history_only(api):
    # given: two members with points
    member, other = UserFactory(), UserFactory()
    _earn(member, 1, points=1250)
    points_award(
        user_id=member.pk,
        rule="purchase",
        subject="order:1",
        points=300,
        pending=True,
        hold_order_id=1,
    )
    _earn(other, 1, points=999)
    api.force_authenticate(member)

    # when
    balance = api.get("/api/v1/loyalty/balance/").json()
    history = api.get("/api/v1/loyalty/history/").json()

    # then
    assert (balance["available"], balance["pending"], balance["owed"]) == (1250, 300, 0)
    assert balance["worth"] == "12500.00"
    assert history["count"] == 2
    assert {row["points"] for row in history["results"]} == {1250, 300}


def test_the_history_list_queries_do_not_grow(api, django_assert_max_num_queries):
    member = UserFactory()
    for n in range(40):
        _earn(member, n)
    api.force_authenticate(member)

    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/loyalty/history/")

    assert response.json()["count"] == 40


def test_badges_and_challenges_are_public_with_the_members_progress(api):
    # given
    Badge.objects.create(
        code="first", name="First review", rule="review", criterion=BadgeCriterion.AWARD_COUNT
    )
    now = timezone.now()
    Challenge.objects.create(
        name="Three reviews",
        rule="review",
        target=3,
        bonus_points=100,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=9),
    )
    member = UserFactory()
    _earn(member, 1)

    # when
    anonymous = (
        api.get("/api/v1/loyalty/badges/").json(),
        api.get("/api/v1/loyalty/challenges/").json(),
    )
    api.force_authenticate(member)
    signed_in = (
        api.get("/api/v1/loyalty/badges/").json(),
        api.get("/api/v1/loyalty/challenges/").json(),
    )

    # then
    assert anonymous[0][0]["held"] is False and anonymous[1][0]["progress"] is None
    assert signed_in[0][0]["held"] is True and signed_in[1][0]["progress"] == 1
