"""Django's cached_db sessions, safe across a cache outage.

`cached_db` writes a session to the database, then to the cache, and reads
the cache first. While the cache is unreachable every read falls back to the
database and every cache write is lost, which is what an outage should cost.
But when a Redis that kept its data answers again (it hung, or restarted
from its append-only file), the copy it holds of a session changed meanwhile
is the old one: a cart line added during the outage would vanish, a session
ended during it would come back.

So a cache write or delete that failed is remembered (per process, bounded)
and, once the cache answers again, those sessions' cached copies are deleted
before any session is read from it; their next read comes from the database.
Set SESSION_ENGINE = "core.sessions".
"""

from __future__ import annotations

import threading

import structlog
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django_redis.cache import RedisCache

logger = structlog.get_logger(__name__)

# Past this many, the oldest misses are forgotten (their copies then heal
# only when they expire or are saved again).
MAX_REMEMBERED = 10_000

_missed: dict[str, None] = {}  # insertion-ordered set of cache keys
_lock = threading.Lock()


def _remember(cache_key: str) -> None:
    with _lock:
        _missed[cache_key] = None
        while len(_missed) > MAX_REMEMBERED:
            del _missed[next(iter(_missed))]


def _repair(cache) -> None:
    """Delete the cached copies of sessions whose cache write was lost, if
    the cache answers now (delete_many answers None when it does not)."""
    if not _missed:
        return
    with _lock:
        keys = list(_missed)
    if cache.delete_many(keys) is None:
        return
    with _lock:
        for key in keys:
            _missed.pop(key, None)
    logger.info("session_cache_repaired", sessions=len(keys))


class SessionStore(CachedDBStore):
    @property
    def _tracks_failures(self) -> bool:
        # django-redis answers a write with True/False, and None when it
        # ignored a failure; Django's own backends answer None always.
        return isinstance(self._cache, RedisCache)

    def load(self):
        if self._tracks_failures:
            _repair(self._cache)
        return super().load()

    def save(self, must_create: bool = False) -> None:
        if not self._tracks_failures:
            return super().save(must_create)
        DBStore.save(self, must_create)
        if self._cache.set(self.cache_key, self._session, self.get_expiry_age()) is None:
            _remember(self.cache_key)

    def delete(self, session_key: str | None = None) -> None:
        if not self._tracks_failures:
            return super().delete(session_key)
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        if self._cache.delete(self.cache_key_prefix + session_key) is None:
            _remember(self.cache_key_prefix + session_key)
