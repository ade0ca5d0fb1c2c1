"""Races that only a real database shows: PostgreSQL, real threads."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from community.models import Post, PostLike, Thread
from community.services import forums as services
from community.tests.forums_factories import member, thread_make
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(fns) -> list:
    """Run each callable in its own thread, all released at one instant;
    returns their results (or exceptions)."""
    barrier = threading.Barrier(len(fns))
    results: list = []
    lock = threading.Lock()

    def run(fn) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                value = fn()
            except Exception as error:  # noqa: BLE001 - reported to the test
                value = error
            with lock:
                results.append(value)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a worker hung"
    return results


def test_one_like_per_member_when_they_like_many_times_at_once(postgres_required):
    # given a post and a member who taps "like" eight times at once
    thread = thread_make()
    post = Post.objects.get(thread=thread)
    liker = member()
    # when
    results = _at_once([lambda: services.post_like(post=post, user=liker)] * 8)
    # then one like counts, the others changed nothing
    assert sorted(r for r in results if isinstance(r, bool)) == [False] * 7 + [True]
    assert PostLike.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.like_count == 1


def test_concurrent_replies_get_unique_gapless_numbers(postgres_required):
    # given a thread and ten members replying at the same instant
    thread = thread_make()
    repliers = [member() for _ in range(10)]
    # when
    results = _at_once(
        [
            (lambda user=user: services.post_reply(author=user, thread=thread, body="Me too"))
            for user in repliers
        ]
    )
    # then every reply got in, numbered 2..11 without gaps or duplicates
    assert not [r for r in results if isinstance(r, (Exception, ApplicationError))]
    numbers = sorted(Post.objects.filter(thread=thread).values_list("number", flat=True))
    assert numbers == list(range(1, 12))
    thread = Thread.objects.get(pk=thread.pk)
    assert thread.reply_count == 10 and thread.last_number == 11
    thread.category.refresh_from_db()
    assert thread.category.post_count == 11
