from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from community.models import CommunitySettings, MemberProfile, ModerationAction, TrustLevel
from community.services.members import (
    member_posting_check,
    member_profile,
    member_restrict,
    mentions_in,
)
from community.tests.factories import MemberFactory, NewMemberFactory, make_moderator, trusted
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def test_handles_are_unique_and_derived_from_the_name():
    # given two members with the same display name
    first = MemberFactory(display_name="Siti Rahma")
    second = MemberFactory(display_name="Siti Rahma")
    # when their profiles are made
    a, b = member_profile(user=first), member_profile(user=second)
    # then both get a handle, the first the plain one
    assert a.handle == "siti_rahma"
    assert b.handle != a.handle and b.handle.startswith("siti_rahma")
    assert member_profile(user=first).pk == a.pk


def test_mentions_are_found_once_each_and_not_in_emails():
    text = "Thanks @Budi and @budi, cc @ani_w; mail me at x@example.com"
    assert mentions_in(text) == ["budi", "ani_w"]


def test_new_member_content_waits_for_approval_and_a_member_publishes():
    new, old = NewMemberFactory(), trusted(MemberFactory(), TrustLevel.MEMBER)
    with transaction.atomic():
        assert member_posting_check(user=new, text="hello").needs_approval
        assert not member_posting_check(user=old, text="hello").needs_approval


def test_a_verified_buyer_publishes_at_once():
    new = NewMemberFactory()
    decision = member_posting_check(user=new, text="hello", verified_buyer=True)
    assert not decision.needs_approval
    assert decision.trust_level == TrustLevel.BASIC


def test_new_member_links_over_the_limit_are_refused_and_not_counted():
    rules = CommunitySettings.current()
    rules.new_max_links = 1
    rules.save()
    new = NewMemberFactory()
    with pytest.raises(ApplicationError) as error:
        member_posting_check(user=new, text="see https://a.example and https://b.example")
    assert error.value.code == "too_many_links"
    assert MemberProfile.objects.get(user=new).posts_today == 0


def test_posting_too_fast_is_refused_with_the_wait():
    member = trusted(MemberFactory(), TrustLevel.BASIC)
    member_posting_check(user=member, text="one")
    with pytest.raises(ApplicationError) as error:
        member_posting_check(user=member, text="two")
    assert error.value.code == "too_fast"
    assert "second" in error.value.message


def test_daily_limit_for_new_members():
    rules = CommunitySettings.current()
    rules.new_max_per_day = 2
    rules.seconds_between_posts = 0
    rules.save()
    new = NewMemberFactory()
    member_posting_check(user=new, text="1")
    member_posting_check(user=new, text="2")
    with pytest.raises(ApplicationError) as error:
        member_posting_check(user=new, text="3")
    assert error.value.code == "daily_limit"
    assert MemberProfile.objects.get(user=new).posts_today == 2


def test_a_silenced_member_cannot_post_and_sees_the_reason():
    moderator, member = make_moderator(), MemberFactory()
    member_restrict(
        moderator=moderator,
        user=member,
        action=ModerationAction.Action.SILENCE,
        until=timezone.now() + timezone.timedelta(days=2),
        reason="Repeated spam",
    )
    with pytest.raises(ApplicationError) as error:
        member_posting_check(user=member, text="hi")
    assert error.value.code == "silenced"
    assert "Repeated spam" in error.value.message
    assert ModerationAction.objects.filter(member=member, action="silence").count() == 1


def test_only_moderators_restrict_members():
    member, other = MemberFactory(), MemberFactory()
    with pytest.raises(ApplicationError):
        member_restrict(
            moderator=other,
            user=member,
            action=ModerationAction.Action.BAN,
            until=timezone.now() + timezone.timedelta(days=1),
            reason="no",
        )
    assert not ModerationAction.objects.exists()
    assert MemberProfile.objects.filter(user=member, banned_until__isnull=False).count() == 0


def test_an_unverified_address_cannot_post_and_is_told_how_to_fix_it():
    from accounts.tests.factories import UserFactory

    member = UserFactory()
    with pytest.raises(ApplicationError) as error:
        member_posting_check(user=member, text="hello")
    assert error.value.code == "email_not_verified"
    assert not MemberProfile.objects.filter(user=member, posts_today__gt=0).exists()
