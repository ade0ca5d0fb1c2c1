"""PROFILE_SECTIONS: a member's tier and badges on their public community
profile, in two queries (none once cached), never their points."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from community.services.members import member_profile
from community.tests.factories import MemberFactory
from core import hooks
from loyalty.marks_cache import all_marks_changed
from loyalty.models import Badge, BadgeLevel, MemberTier, Tier
from loyalty.profile import profile_sections
from loyalty.services.badges import badge_give
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    with translation.override("en"):
        yield


def _badge(code: str, name: str, level=BadgeLevel.BRONZE, **kwargs) -> Badge:
    return Badge.objects.create(
        code=code, name=name, level=level, rule="review", criterion="award_count", **kwargs
    )


def _queries(fn) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return result, len(queries)


def _profile_page(client, member) -> str:
    handle = member_profile(user=member).handle
    response = client.get(reverse("community:profile", args=[handle]))
    assert response.status_code == 200
    return response.content.decode()


def test_loyalty_answers_the_profile_sections_hook():
    assert profile_sections in hooks.get_hooks(hooks.PROFILE_SECTIONS)


def test_the_profile_shows_the_tier_and_badges_with_their_level_and_date_but_no_points(
    client, django_capture_on_commit_callbacks
):
    # given a Gold member with 12,345 points and two badges
    member = MemberFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=12_345)
    gold = Tier.objects.create(name="Gold member", threshold=Decimal("10000"))
    MemberTier.objects.update_or_create(user=member, defaults={"tier": gold})
    first = badge_give(user_id=member.pk, badge=_badge("first", "First review"))
    best = badge_give(
        user_id=member.pk,
        badge=_badge("critic", "Top critic", BadgeLevel.GOLD, description="100 reviews"),
    )

    # when anyone opens the profile
    html = _profile_page(client, member)

    # then the tier and the badges, best level first, with the dates
    assert "Tier and badges" in html
    assert '<span class="tier-chip">Gold member</span>' in html
    assert html.index("Top critic") < html.index("First review")
    assert "Gold · 100 reviews" in html and "Bronze" in html
    assert 'class="badge-tile level-gold"' in html and 'class="badge-tile level-bronze"' in html
    assert f"Earned {date_format(first.awarded_at.astimezone())}" in html
    assert f'datetime="{best.awarded_at.astimezone():%Y-%m-%dT%H:%M}' in html
    assert "loyalty/loyalty.css" in html
    # and nothing private
    assert "12,345" not in html and "12345" not in html and "12.345" not in html


def test_a_member_without_tier_or_badges_gets_no_section(client):
    member = MemberFactory()
    Tier.objects.create(name="Gold member", threshold=Decimal("10000"))

    assert profile_sections(user=member) == []
    assert "Tier and badges" not in _profile_page(client, member)


def test_a_disabled_badge_is_not_shown():
    member = MemberFactory()
    badge_give(user_id=member.pk, badge=_badge("old", "Retired badge", enabled=False))
    badge_give(user_id=member.pk, badge=_badge("kept", "Kept badge"))

    [section] = profile_sections(user=member)

    assert "Kept badge" in section["html"]
    assert "Retired badge" not in section["html"]


def test_the_section_reads_two_queries_for_one_badge_or_many_and_none_when_cached():
    # given one member with one badge, another with six and a tier
    one, many = MemberFactory(), MemberFactory()
    badge_give(user_id=one.pk, badge=_badge("b0", "Badge 0"))
    for n in range(1, 7):
        badge_give(user_id=many.pk, badge=_badge(f"b{n}", f"Badge {n}"))
    MemberTier.objects.create(
        user=many, tier=Tier.objects.create(name="Silver", threshold=Decimal("100"))
    )
    cache.clear()

    # when each section is read from the database, then from the cache
    (section_one, cold_one) = _queries(lambda: profile_sections(user=one))
    (section_many, cold_many) = _queries(lambda: profile_sections(user=many))
    (_, warm) = _queries(lambda: profile_sections(user=many))

    # then
    assert "Badge 0" in section_one[0]["html"]
    assert all(f"Badge {n}" in section_many[0]["html"] for n in range(1, 7))
    assert cold_one == cold_many == 2
    assert warm == 0


def test_the_profile_page_reads_as_many_queries_for_six_badges_as_for_one(client):
    one, many = MemberFactory(), MemberFactory()
    badge_give(user_id=one.pk, badge=_badge("b0", "Badge 0"))
    for n in range(1, 7):
        badge_give(user_id=many.pk, badge=_badge(f"b{n}", f"Badge {n}"))
    handles = {m.pk: member_profile(user=m).handle for m in (one, many)}

    def page(member) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("community:profile", args=[handles[member.pk]]))
        return len(queries)

    assert page(one) == page(many)


def test_a_new_badge_shows_at_once_even_one_not_shown_next_to_the_name(
    django_capture_on_commit_callbacks,
):
    # given a cached section
    member = MemberFactory()
    badge_give(user_id=member.pk, badge=_badge("first", "First review"))
    assert "Quiet helper" not in profile_sections(user=member)[0]["html"]

    # when a badge shown only on the profile is given (and commits)
    with django_capture_on_commit_callbacks(execute=True):
        badge_give(
            user_id=member.pk, badge=_badge("quiet", "Quiet helper", show_next_to_name=False)
        )

    # then the section is read again
    assert "Quiet helper" in profile_sections(user=member)[0]["html"]


def test_staff_renaming_a_badge_shows_on_every_profile(django_capture_on_commit_callbacks):
    member = MemberFactory()
    badge = _badge("first", "First review")
    badge_give(user_id=member.pk, badge=badge)
    assert "First review" in profile_sections(user=member)[0]["html"]

    with django_capture_on_commit_callbacks(execute=True):
        Badge.objects.filter(pk=badge.pk).update(name_en="Debut review")
        all_marks_changed()  # what the badge admin does on save

    assert "Debut review" in profile_sections(user=member)[0]["html"]


def test_the_section_is_in_the_readers_language():
    member = MemberFactory()
    badge_give(
        user_id=member.pk,
        badge=Badge.objects.create(
            code="first",
            name="First review",
            name_ind="Ulasan pertama",
            level=BadgeLevel.SILVER,
            rule="review",
            criterion="award_count",
        ),
    )

    english = profile_sections(user=member)[0]
    with translation.override("id"):
        indonesian = profile_sections(user=member)[0]

    assert (english["title"], "First review" in english["html"]) == ("Tier and badges", True)
    assert indonesian["title"] == "Tingkatan dan lencana"
    assert "Ulasan pertama" in indonesian["html"] and "Perak" in indonesian["html"]
    assert "First review" not in indonesian["html"]
