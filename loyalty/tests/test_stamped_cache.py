"""The per-member caches (header balance, marks) never keep a figure read
before a change committed."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from loyalty.stamped_cache import StampedCache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_a_figure_read_before_a_change_committed_is_not_served_after_it(
    django_capture_on_commit_callbacks,
):
    # given: the database says 10; a page reads it, and while it does so a
    # worker commits 20 (the commit lands between the read and the store)
    store = StampedCache("test:balance", 60)
    database = {"points": 10}

    def slow_page_read(user_id):
        seen = database["points"]
        database["points"] = 20
        with django_capture_on_commit_callbacks(execute=True):
            store.changed(user_id=user_id)
        return seen

    # when
    first = store.get(1, slow_page_read)
    second = store.get(1, lambda user_id: database["points"])

    # then: the first page showed what it read; the next one the new figure
    assert first == 10
    assert second == 20


def test_a_figure_is_served_from_the_cache_until_it_changes(django_capture_on_commit_callbacks):
    store = StampedCache("test:balance", 60)
    reads = []

    def read(user_id):
        reads.append(user_id)
        return len(reads)

    assert [store.get(7, read), store.get(7, read)] == [1, 1]
    with django_capture_on_commit_callbacks(execute=True):
        store.changed(user_id=7)
    assert store.get(7, read) == 2
    assert reads == [7, 7]


def test_a_change_that_rolls_back_keeps_the_cached_figure(django_capture_on_commit_callbacks):
    store = StampedCache("test:balance", 60)
    reads = []

    def read(user_id):
        reads.append(user_id)
        return len(reads)

    store.get(3, read)
    with django_capture_on_commit_callbacks(execute=False):
        store.changed(user_id=3)  # never committed

    assert store.get(3, read) == 1


def test_many_members_come_in_one_round_trip_and_only_misses_are_read(
    django_capture_on_commit_callbacks,
):
    store = StampedCache("test:marks", 60)
    asked = []

    def read(user_ids):
        asked.append(sorted(user_ids))
        return {user_id: user_id * 10 for user_id in user_ids}

    assert store.get_many([1, 2, 3], read) == {1: 10, 2: 20, 3: 30}
    with django_capture_on_commit_callbacks(execute=True):
        store.changed(user_id=2)
    assert store.get_many([1, 2, 3], read) == {1: 10, 2: 20, 3: 30}
    with django_capture_on_commit_callbacks(execute=True):
        store.all_changed()
    store.get_many([1, 3], read)

    assert asked == [[1, 2, 3], [2], [1, 3]]
