from __future__ import annotations

import io

import pytest

from accounts.demo import seed_users
from community.demo.forums import seed_forums
from community.models import ForumCategory, Post, PostLike, Thread

pytestmark = pytest.mark.django_db


def test_the_forum_demo_seeds_once_through_the_services():
    out = io.StringIO()
    seed_users(out)
    seed_forums(out)
    threads, posts = Thread.objects.count(), Post.objects.count()
    assert ForumCategory.objects.count() == 5 and threads == 10 and posts > threads
    assert Thread.objects.filter(pinned=True).count() == 1
    assert PostLike.objects.exists()
    assert Post.objects.filter(body_md__contains=" wrote:\n>").exists()
    assert "skipped" not in out.getvalue()
    # a second run adds nothing
    seed_forums(out)
    assert (Thread.objects.count(), Post.objects.count()) == (threads, posts)
    assert ForumCategory.objects.get(slug="help").name_ind == "Bantuan"
