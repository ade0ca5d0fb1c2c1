from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from community.models import ContentStatus, ModerationAction, Post
from community.services.moderation import content_hide
from community.tests.factories import make_moderator
from community.tests.forums_factories import ForumCategoryFactory, reply_make, thread_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client(client, monkeypatch):
    """A moderator (staff with community.moderate only); the admin's TOTP
    check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    moderator = make_moderator()
    client.force_login(moderator)
    client.get(reverse("admin:index"))
    return client


def test_a_moderator_moves_a_thread_with_the_admin_action_and_counters_follow(moderator_client):
    thread = thread_make()
    reply_make(thread)
    target = ForumCategoryFactory()
    response = moderator_client.post(
        reverse("admin:community_thread_changelist"),
        {
            "action": "move",
            "_selected_action": [thread.pk],
            "category": target.pk,
            "reason": "Belongs there",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.thread_count, target.post_count) == (1, 2)
    assert ModerationAction.objects.get(action="move").reason == "Belongs there"


def test_a_moderator_restores_a_hidden_post_from_the_post_admin(moderator_client):
    thread = thread_make()
    post = reply_make(thread)
    content_hide(content=post, moderator=make_moderator())
    assert moderator_client.get(reverse("admin:community_post_changelist")).status_code == 200
    assert (
        moderator_client.get(reverse("admin:community_post_change", args=[post.pk])).status_code
        == 200
    )
    moderator_client.post(
        reverse("admin:community_post_changelist"),
        {"action": "restore_content", "_selected_action": [post.pk]},
    )
    post.refresh_from_db()
    assert post.status == ContentStatus.PUBLISHED
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_the_category_admin_lists_in_order(moderator_client, django_user_model):
    ForumCategoryFactory(name="Help", position=2)
    ForumCategoryFactory(name="News", position=1)
    # a superuser manages categories
    from community.tests.forums_factories import member

    admin = member(is_staff=True, is_superuser=True)
    moderator_client.force_login(admin)
    html = moderator_client.get(reverse("admin:community_forumcategory_changelist")).content
    assert html.index(b"News") < html.index(b"Help")
    assert Post.objects.count() == 0


def test_the_category_add_form_has_a_field_per_language(moderator_client):
    from community.tests.forums_factories import member

    moderator_client.force_login(member(is_staff=True, is_superuser=True))
    html = moderator_client.get(reverse("admin:community_forumcategory_add")).content.decode()
    assert 'name="name_en"' in html and 'name="name_ind"' in html
    assert "Name (Bahasa Indonesia)" in html
