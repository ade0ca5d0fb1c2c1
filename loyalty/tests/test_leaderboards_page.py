"""The leaderboards page: each period and area, the member's own place,
visitors welcome without one, staff never ranked, bad parameters showing
the default board, Redis and the ledger alike, a fixed number of queries."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import Area, LedgerEntry
from loyalty.selectors.leaderboards import redis_client
from loyalty.services.board_scores import board_scores_rebuild
from loyalty.services.leaderboards import leaderboards_rebuild
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db

PAGE = "/rewards/leaderboards/"


def _earn(member, points, *, area=Area.REVIEWS, rule="review", days_ago=0):
    award = points_award(
        user_id=member.pk,
        rule=rule,
        subject=f"{rule}:{uuid.uuid4().hex[:10]}",
        points=points,
        area=area,
        source_event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
    )
    if days_ago:
        LedgerEntry.objects.filter(award=award).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        board_scores_rebuild(user_ids=[member.pk])
    return award


def _names(response) -> list[str]:
    html = response.content.decode()
    return [unescape(name).strip() for name in re.findall(r'class="board-name">([^<]+)', html)]


def _text(response) -> str:
    assert response.status_code == 200
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def members():
    """Ayu leads reviews, Budi the forums; Citra earned most, but last year."""
    ayu = UserFactory(display_name="Ayu")
    budi = UserFactory(display_name="Budi")
    citra = UserFactory(display_name="Citra")
    dewi = UserFactory(display_name="Dewi")
    _earn(ayu, 300, area=Area.REVIEWS)
    _earn(budi, 50, area=Area.REVIEWS)
    _earn(budi, 200, area=Area.FORUM)
    _earn(dewi, 40, area=Area.ANSWERS)
    _earn(citra, 900, area=Area.REVIEWS, days_ago=400)
    _earn(StaffFactory(display_name="Staff Sari"), 5000)
    return ayu, budi, citra, dewi


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ayu", "Budi", "Dewi"]),  # this month, overall
        ({"scope": "month", "area": "all"}, ["Ayu", "Budi", "Dewi"]),
        ({"scope": "week"}, ["Ayu", "Budi", "Dewi"]),
        ({"scope": "all"}, ["Citra", "Ayu", "Budi", "Dewi"]),
        ({"scope": "month", "area": "reviews"}, ["Ayu", "Budi"]),
        ({"scope": "all", "area": "reviews"}, ["Citra", "Ayu", "Budi"]),
        ({"scope": "month", "area": "forum"}, ["Budi"]),
        ({"scope": "week", "area": "answers"}, ["Dewi"]),
    ],
)
def test_each_period_and_area_ranks_its_own_points(client, members, query, expected):
    response = client.get(PAGE, query)

    assert _names(response) == expected
    assert "Staff Sari" not in response.content.decode()


def test_the_points_and_the_current_tabs_are_shown(client, members):
    response = client.get(PAGE, {"scope": "all", "area": "reviews"})

    html = response.content.decode()
    assert "900 points" in _text(response) and "350" not in _text(response)
    assert re.search(r'href="\?scope=all&amp;area=reviews" aria-current="page">All time<', html)
    assert re.search(r'href="\?scope=all&amp;area=reviews" aria-current="page">Reviews<', html)
    assert 'href="?scope=week&amp;area=reviews"' in html
    assert 'href="?scope=all&amp;area=forum"' in html


@pytest.mark.parametrize(
    "query",
    [
        {"scope": "year"},
        {"area": "shop"},
        {"scope": "", "area": ""},
        {"scope": "<b>x</b>", "area": "all' or 1=1"},
        {"period": "1999-01", "page": "-1"},
    ],
)
def test_unknown_parameters_show_the_default_board(client, members, query):
    response = client.get(PAGE, query)

    html = response.content.decode()
    assert _names(response) == ["Ayu", "Budi", "Dewi"]
    assert 'href="?scope=month&amp;area=all" aria-current="page">This month<' in html
    assert "<b>x</b>" not in html and "1=1" not in html


def test_a_member_sees_their_place_below_the_top(client, members):
    # given: more members than the board holds (10 by default)
    for n in range(12):
        _earn(UserFactory(display_name=f"Top {n}"), 1000 + n)
    member = UserFactory(display_name="Wulan")
    _earn(member, 10)
    client.force_login(member)

    # when
    response = client.get(PAGE)

    # then
    names = _names(response)
    assert len(names) == 11 and names[-1].startswith("Wulan")
    assert "Your place: number 16, with 10 points." in _text(response)
    assert response.content.decode().count("is-me") == 1


def test_a_member_in_the_top_is_marked_once(client, members):
    ayu = members[0]
    client.force_login(ayu)

    response = client.get(PAGE)

    assert "Your place: number 1, with 300 points." in _text(response)
    assert response.content.decode().count("is-me") == 1
    assert "board-gap" not in response.content.decode()


def test_a_member_without_points_is_told_how_to_get_on(client, members):
    client.force_login(UserFactory())

    text = _text(client.get(PAGE, {"area": "forum"}))

    assert "You are not on this board yet" in text


def test_visitors_see_the_board_and_an_invitation_but_no_place(client, members):
    response = client.get(PAGE)

    text = _text(response)
    assert _names(response) == ["Ayu", "Budi", "Dewi"]
    assert "Your place" not in text and "You are not on this board" not in text
    assert "Join the board" in text


def test_staff_are_told_they_are_not_ranked(client, members):
    staff = StaffFactory()
    _earn(staff, 999)
    client.force_login(staff)

    response = client.get(PAGE)

    assert "Staff are not ranked." in _text(response)
    assert "is-me" not in response.content.decode()


def test_members_marks_show_beside_their_names(client, members):
    from loyalty.models import Tier

    Tier.objects.create(name="Gold", threshold=100, badge_label="GOLD")
    _earn(members[0], 1)  # Ayu's tier follows her next award

    response = client.get(PAGE)

    assert re.search(
        r"Ayu</span>\s*<span class=\"badge badge-mark\" title=\"Gold\">GOLD<",
        unescape(response.content.decode()),
    )


def test_an_empty_board_says_so(client):
    text = _text(client.get(PAGE, {"area": "answers"}))

    assert "Nobody has earned points here in this period yet." in text


def test_the_board_reads_the_same_from_redis(client, members, django_capture_on_commit_callbacks):
    # given: every board built in Redis
    redis = redis_client()
    if redis is None:
        pytest.skip("needs REDIS_URL")
    redis.flushdb()
    try:
        assert leaderboards_rebuild() > 0
        client.force_login(members[1])

        # when
        from_redis = client.get(PAGE, {"area": "reviews"})
        with override_settings(REDIS_URL=""):
            from_database = client.get(PAGE, {"area": "reviews"})

        # then
        assert from_redis.context["board"].source == "redis"
        assert from_database.context["board"].source == "database"
        assert _names(from_redis) == _names(from_database) == ["Ayu", "Budi"]
        assert "Your place: number 2, with 50 points." in _text(from_redis)
    finally:
        redis.flushdb()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_page_costs_the_same_queries_for_a_small_and_a_large_board(
    client, signed_in, django_assert_max_num_queries
):
    # given
    member = UserFactory()
    if signed_in:
        client.force_login(member)
        _earn(member, 5)
    for n in range(60):
        _earn(UserFactory(), 100 + n)
    client.get(PAGE)  # the marks are cached

    # when: the board's size, its top and their names (a member's own
    # total and rank besides, and the signed-in user, cart and bell of the
    # header); the marks come from the cache
    with django_assert_max_num_queries(9 if signed_in else 4):
        response = client.get(PAGE)

    # then
    assert len(_names(response)) == (11 if signed_in else 10)


def test_the_page_is_linked_from_the_rewards_page(client):
    assert reverse("loyalty:leaderboards") == PAGE
    _earn(UserFactory(), 10)

    assert f'href="{PAGE}"' in client.get(reverse("loyalty:index")).content.decode()


def test_a_leader_without_a_display_name_is_shown_by_number_never_by_email(client):
    leader = UserFactory(display_name="", email="budi.santoso.77@example.com")
    _earn(leader, 120)

    response = client.get(PAGE)

    assert _names(response) == [f"Member {leader.pk}"]
    assert "budi" not in response.content.decode().lower()
