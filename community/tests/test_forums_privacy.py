from __future__ import annotations

import pytest

from accounts.services import user_delete, user_export_data
from community.models import Post, ThreadRead, Watch
from community.services import forums as services
from community.tests.forums_factories import member, reply_make, thread_make

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_members_threads_posts_likes_and_watches():
    author = member()
    thread = thread_make(author=author, title="Lapis legit", body="Resepnya?")
    other = reply_make(thread, body="Pakai kayu manis")
    services.post_like(post=other, user=author)
    data = user_export_data(user=author)["forums"]
    assert [t["title"] for t in data["threads_started"]] == ["Lapis legit"]
    assert [p["text"] for p in data["posts"]] == ["Resepnya?"]
    assert data["likes_given"] == [other.pk]
    assert data["watching"] == [{"thread_id": thread.pk, "category_id": None}]


def test_deleting_the_account_keeps_posts_and_drops_tracking():
    author = member()
    thread = thread_make(author=author)
    services.thread_read_mark(thread=thread, user=author, number=1)
    user_delete(user=author)
    assert Post.objects.filter(thread=thread).exists()
    assert not Watch.objects.filter(user=author).exists()
    assert not ThreadRead.objects.filter(user=author).exists()
