"""The Rewards page, the points history and the header's balance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from loyalty.models import Badge, BadgeCriterion, Challenge
from loyalty.services.ledger import points_award, points_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _member(client, **kwargs):
    member = UserFactory(**kwargs)
    client.force_login(member)
    return member


def _earn(member, n, points=10):
    return points_award(
        user_id=member.pk, rule="review", subject=f"review:{n}", points=points, area="reviews"
    )


def test_a_visitor_sees_how_to_join_and_the_badges_but_no_balance(client):
    Badge.objects.create(code="first", name="First review", rule="review", criterion="award_count")

    response = client.get(reverse("loyalty:index"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Join to start earning" in html
    assert "First review" in html
    assert "Points history" not in html


def test_a_member_sees_balance_history_badges_and_challenges(client):
    # given
    member = _member(client)
    Badge.objects.create(code="first", name="First review", rule="review", criterion="award_count")
    Badge.objects.create(
        code="ten", name="Ten reviews", rule="review", threshold=10, criterion="award_count"
    )
    now = timezone.now()
    Challenge.objects.create(
        name="Three reviews",
        rule="review",
        target=3,
        bonus_points=100,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=10),
    )
    _earn(member, 1, points=1200)
    points_award(
        user_id=member.pk,
        rule="purchase",
        subject="order:4",
        points=300,
        pending=True,
        hold_order_id=4,
    )

    # when
    response = client.get(reverse("loyalty:index"))

    # then
    html = response.content.decode()
    assert "1,200" in html and "300" in html
    assert "Pending" in html
    assert "1 of 3" in html
    assert html.count("Earned") >= 1 and "Not yet" in html
    assert "+1,200" in html


def test_the_rewards_page_queries_do_not_grow_with_history_and_badges(
    client, django_assert_max_num_queries
):
    member = _member(client)
    for n in range(8):
        Badge.objects.create(
            code=f"b{n}",
            name=f"B{n}",
            rule="review",
            threshold=n + 1,
            criterion=BadgeCriterion.AWARD_COUNT,
        )
    for n in range(30):
        _earn(member, n)
    client.get(reverse("loyalty:index"))

    # 14, and 7 for the blocks (loyalty.views.sections): the tier ladder,
    # this month's board (staff, totals, names), the drops, the earning
    # rules and the referral code with its results.
    with django_assert_max_num_queries(21):
        response = client.get(reverse("loyalty:index"))

    assert response.status_code == 200
    assert "Full history" in response.content.decode()


def test_the_full_history_is_paginated_and_for_members_only(client):
    # given
    assert client.get(reverse("loyalty:history")).status_code == 302
    member = _member(client)
    for n in range(60):
        _earn(member, n)

    # when
    first = client.get(reverse("loyalty:history"))
    second = client.get(reverse("loyalty:history"), {"page": 2})

    # then
    assert "Page 1 of 2" in first.content.decode()
    assert second.content.decode().count('class="text-end points-delta') == 10


def test_the_header_shows_the_members_balance_and_follows_it(
    client, django_capture_on_commit_callbacks
):
    # given
    member = _member(client)  # signing in reads the balance (0) into the cache
    with django_capture_on_commit_callbacks(execute=True):
        _earn(member, 1, points=1500)
    home = client.get(reverse("loyalty:index"))
    assert "1,500 points" in home.content.decode()

    # when: points are spent (the cached balance is dropped on commit)
    with django_capture_on_commit_callbacks(execute=True):
        points_redeem(user_id=member.pk, points=500, subject="order:1")

    # then
    assert "1,000 points" in client.get(reverse("loyalty:history")).content.decode()


def test_the_header_balance_costs_no_query_once_cached(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    member = _member(client)
    with django_capture_on_commit_callbacks(execute=True):
        _earn(member, 1, points=20)
    client.get(reverse("loyalty:history"))
    from loyalty.header import points_header_item

    class Request:
        user = member

    with django_assert_num_queries(0):
        item = points_header_item(Request())

    assert item["label"] == "20 points"


def test_visitors_get_no_header_item(client):
    response = client.get(reverse("loyalty:index"))

    assert "points</a>" not in response.content.decode()


def test_the_programs_own_notes_read_in_the_members_language(client):
    # given: an entry written with the program's English note, and a staff note
    from loyalty.models import LedgerEntry

    member = _member(client)
    award = _earn(member, 1)
    LedgerEntry.objects.filter(award=award).update(note="The return window has passed.")
    _earn(member, 2)
    LedgerEntry.objects.filter(subject="review:2").update(note="<b>Kept</b> as written")

    # when
    html = client.get("/id" + reverse("loyalty:history")).content.decode()

    # then
    assert "Masa pengembalian sudah lewat." in html
    assert "The return window has passed." not in html
    assert "&lt;b&gt;Kept&lt;/b&gt; as written" in html
