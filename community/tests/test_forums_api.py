from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from community.models import ContentStatus, Post, PostLike, Thread
from community.services.moderation import content_hide
from community.tests.factories import make_moderator
from community.tests.forums_factories import ForumCategoryFactory, member, reply_make, thread_make

pytestmark = pytest.mark.django_db

BASE = "/api/v1/community/forums"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_categories_and_their_threads():
    thread = thread_make(tags=["kopi"])
    response = _api().get(f"{BASE}/categories/")
    assert response.status_code == 200
    assert response.json()["results"][0]["thread_count"] == 1
    response = _api().get(f"{BASE}/categories/{thread.category.slug}/threads/")
    [row] = response.json()["results"]
    assert row["id"] == thread.pk and row["tags"] == ["kopi"]
    assert _api().get(f"{BASE}/categories/nope/threads/").status_code == 404


def test_a_member_starts_a_thread_and_another_replies_and_likes():
    category = ForumCategoryFactory()
    starter, replier = member(), member()
    response = _api(starter).post(
        f"{BASE}/threads/",
        {"category": category.slug, "title": "Kopi tubruk", "body": "Caranya?", "tags": ["kopi"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    thread_id = response.json()["id"]
    response = _api(replier).post(
        f"{BASE}/threads/{thread_id}/posts/", {"body": "Dua sendok", "reply_to": 1}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["number"] == 2 and response.json()["reply_to_number"] == 1
    opening = Post.objects.get(thread_id=thread_id, number=1)
    response = _api(replier).post(f"{BASE}/posts/{opening.pk}/like/")
    assert response.json() == {"liked": True, "like_count": 1}
    response = _api(replier).get(f"{BASE}/threads/{thread_id}/posts/")
    assert [p["liked"] for p in response.json()["results"]] == [True, False]
    response = _api(replier).delete(f"{BASE}/posts/{opening.pk}/like/")
    assert response.json() == {"liked": False, "like_count": 0}


def test_refusals_are_clear_and_write_nothing():
    category = ForumCategoryFactory()
    author = member()
    response = _api(author).post(
        f"{BASE}/threads/", {"category": category.slug, "title": "Hey", "body": "x"}, format="json"
    )
    assert response.status_code == 422 and "at least 5" in response.json()["detail"]
    assert not Thread.objects.exists()
    thread = thread_make(author=author)
    opening = Post.objects.get(thread=thread)
    response = _api(author).post(f"{BASE}/posts/{opening.pk}/like/")
    assert response.status_code == 422 and response.json()["code"] == "own_content"
    assert not PostLike.objects.exists()


def test_editing_or_deleting_another_members_post_is_forbidden_but_a_moderator_can():
    thread = thread_make(body="Mine")
    opening = Post.objects.get(thread=thread)
    other = member()
    response = _api(other).patch(f"{BASE}/posts/{opening.pk}/", {"body": "Yours"}, format="json")
    assert response.status_code == 403
    assert _api(other).delete(f"{BASE}/posts/{opening.pk}/").status_code == 403
    opening.refresh_from_db()
    assert opening.body_md == "Mine" and opening.status == ContentStatus.PUBLISHED
    moderator = make_moderator()
    response = _api(moderator).patch(
        f"{BASE}/posts/{opening.pk}/", {"body": "Tidied"}, format="json"
    )
    assert response.status_code == 200 and response.json()["body_md"] == "Tidied"
    assert _api(moderator).delete(f"{BASE}/posts/{opening.pk}/").status_code == 204


def test_hidden_posts_and_threads_are_invisible_to_others():
    thread = thread_make()
    hidden = reply_make(thread, body="Spam")
    moderator = make_moderator()
    content_hide(content=hidden, moderator=moderator)
    response = _api(member()).get(f"{BASE}/threads/{thread.pk}/posts/")
    assert [p["number"] for p in response.json()["results"]] == [1]
    assert _api(member()).get(f"{BASE}/posts/{hidden.pk}/like/").status_code == 405
    assert _api(member()).post(f"{BASE}/posts/{hidden.pk}/like/").status_code == 404
    content_hide(content=Post.objects.get(thread=thread, number=1), moderator=moderator)
    assert _api().get(f"{BASE}/threads/{thread.pk}/").status_code == 404
    assert _api(thread.author).get(f"{BASE}/threads/{thread.pk}/").status_code == 200


def _count(url: str, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _api(user).get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_items():
    small, large = thread_make(), thread_make()
    reply_make(small)
    for _ in range(10):
        reply_make(large)
    reader = member()
    assert _count(f"{BASE}/threads/{small.pk}/posts/", reader) == _count(
        f"{BASE}/threads/{large.pk}/posts/", reader
    )
    few, many = ForumCategoryFactory(), ForumCategoryFactory()
    for n in range(2):
        thread_make(category=few, tags=["a"], title=f"Thread {n} here")
    for n in range(10):
        thread_make(category=many, tags=["a"], title=f"Thread {n} here")
    assert _count(f"{BASE}/categories/{few.slug}/threads/", reader) == _count(
        f"{BASE}/categories/{many.slug}/threads/", reader
    )


def test_the_schema_documents_the_forum_api(client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    validate_schema(schema)
    assert {
        "/api/v1/community/forums/categories/",
        "/api/v1/community/forums/threads/",
        "/api/v1/community/forums/threads/{id}/posts/",
        "/api/v1/community/forums/posts/{id}/like/",
    } <= set(schema["paths"])
