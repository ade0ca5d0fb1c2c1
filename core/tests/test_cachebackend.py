"""core/cachebackend.py against a real private redis-server: a failing Redis
reads as a miss, costs one timeout, then is skipped until the breaker's
period is over; it is used again once it answers."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from redis.connection import Connection

from config.settings.base import redis_cache
from core import cachebackend


@pytest.fixture
def redis_as_cache(private_redis, settings, monkeypatch):
    settings.CACHES = {"default": redis_cache(private_redis.url)}
    monkeypatch.setattr(cachebackend, "CIRCUIT_OPEN_SECONDS", 1.0)
    cachebackend.reset_breakers()
    yield private_redis
    cachebackend.reset_breakers()


@pytest.fixture
def connects(monkeypatch) -> list[float]:
    """Every socket connection attempt redis-py makes."""
    attempts: list[float] = []
    real = Connection.connect

    def counted(self, *args, **kwargs):
        attempts.append(time.monotonic())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "connect", counted)
    return attempts


def test_a_stopped_redis_is_a_miss_and_is_skipped_until_the_period_ends(redis_as_cache, connects):
    # given
    cache.set("k", "v")
    redis_as_cache.stop()
    connects.clear()

    # when: many calls while it is down
    started = time.monotonic()
    first = cache.get("k")
    attempts_of_first_call = len(connects)
    values = [cache.get("k") for _ in range(50)]
    many = cache.get_many(["k", "j"])
    elapsed = time.monotonic() - started

    # then: misses; only the first call tried the network
    assert first is None
    assert values == [None] * 50
    assert many == {}
    assert 1 <= attempts_of_first_call <= 2  # its pooled connection, then a new one
    assert len(connects) == attempts_of_first_call
    assert elapsed < 2


def test_a_hung_redis_costs_one_timeout_not_one_per_call(redis_as_cache):
    cache.set("k", "v")
    redis_as_cache.pause()
    try:
        started = time.monotonic()
        values = [cache.get("k") for _ in range(20)]
        elapsed = time.monotonic() - started
    finally:
        redis_as_cache.resume()

    assert values == [None] * 20
    assert elapsed < 2  # one 0.5 s read timeout, then the breaker is open


def test_the_cache_is_used_again_once_redis_answers(redis_as_cache):
    # given: the breaker opened while Redis hung
    cache.set("k", "v")
    redis_as_cache.pause()
    try:
        assert cache.get("k") is None
    finally:
        redis_as_cache.resume()

    # when the period is over
    time.sleep(1.1)

    # then
    assert cache.get("k") == "v"
    assert cache.set("k2", "w") is True


def test_add_on_an_unreachable_cache_answers_stored(redis_as_cache):
    redis_as_cache.stop()

    assert cache.add("lock", 1) is True
    assert cache.incr("counter", ignore_key_check=True) is None


def test_an_on_commit_page_cache_bump_cannot_fail_the_request(
    redis_as_cache, django_capture_on_commit_callbacks, db
):
    from core import pagecache

    redis_as_cache.stop()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        pagecache.bump("probe", reason="outage test")

    assert len(callbacks) == 1  # ran, and raised nothing
