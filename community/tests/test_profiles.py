from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from community.services.members import member_profile
from community.tests.factories import MemberFactory
from core import hooks

pytestmark = pytest.mark.django_db


def test_public_profile_shows_name_handle_and_never_the_email(client):
    # given a member with a profile
    member = MemberFactory(display_name="Dewi Lestari", email="dewi.secret@example.com")
    profile = member_profile(user=member)
    # when anyone opens it
    response = client.get(reverse("community:profile", args=[profile.handle]))
    # then it shows the public name and handle, never the address
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dewi Lestari" in body and f"@{profile.handle}" in body
    assert "dewi.secret" not in body


def test_a_deleted_member_has_no_public_profile(client):
    member = MemberFactory()
    profile = member_profile(user=member)
    member.deleted_at = timezone.now()
    member.save(update_fields=["deleted_at"])
    assert client.get(reverse("community:profile", args=[profile.handle])).status_code == 404


def test_other_apps_add_profile_sections_and_marks(client):
    member = MemberFactory()
    profile = member_profile(user=member)

    def tier(*, user):
        return [{"title": "Rewards", "html": "<p>Gold tier</p>"}]

    def marks(user_ids):
        return {uid: [{"label": "Gold", "title": "Gold tier"}] for uid in user_ids}

    with (
        hooks.registered(hooks.PROFILE_SECTIONS, tier),
        hooks.registered(hooks.MEMBER_MARKS, marks),
    ):
        body = client.get(reverse("community:profile", args=[profile.handle])).content.decode()
    assert "Gold tier" in body and ">Gold<" in body


def test_the_profile_lists_public_reviews_threads_and_answers_only(client):
    from community.services import moderation
    from community.tests.factories import answer_make, make_moderator, question_make, trusted
    from community.tests.forums_factories import thread_make

    member = trusted(MemberFactory())
    profile = member_profile(user=member)
    thread = thread_make(author=member, title="My sambal collection")
    hidden = thread_make(author=member, title="A thread the moderators hid")
    moderation.content_hide(content=hidden.posts.get(number=1), moderator=make_moderator())
    answer_make(question_make(title="Which coffee for a moka pot?"), author=member)
    body = client.get(reverse("community:profile", args=[profile.handle])).content.decode()
    assert thread.title in body
    assert "Which coffee for a moka pot?" in body
    assert "A thread the moderators hid" not in body
