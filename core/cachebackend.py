"""A django-redis client with a circuit breaker: the cache is a cache.

With `IGNORE_EXCEPTIONS`, django-redis turns a failed call into a miss (or a
no-op write), so pages render without the cache, sessions fall back to the
database and rate limits count nothing. Each failed call still costs its
socket timeout, though, and a page makes several cache calls: on a Redis that
hangs, that is seconds per request. After one connection failure this client
therefore fails every call at once, without touching the network, for
`CIRCUIT_OPEN_SECONDS`; then one call probes Redis again (success closes the
circuit, failure keeps it open for another period).

`add()` on an unreachable cache answers True ("stored"), so a lock taken
with it fails open like everything else: allauth's rate limits take one that
way, and would otherwise refuse every sign-in after a second's wait.

The breaker is per process and per server. Opening and closing are logged
once each (`cache_circuit_opened` / `cache_circuit_closed`); the calls failed
fast while it is open are not logged one by one.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time

import structlog
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = structlog.get_logger(__name__)

CIRCUIT_OPEN_SECONDS = 5.0

_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, socket.timeout, OSError)


class CircuitOpen(ConnectionInterrupted):
    """Raised instead of calling a Redis the breaker knows is failing."""


class _Breaker:
    def __init__(self, server: str) -> None:
        self.server = server
        self.open_until = 0.0
        self.is_open = False
        self._lock = threading.Lock()

    def before_call(self) -> None:
        if self.is_open and time.monotonic() < self.open_until:
            error = RedisConnectionError(f"cache circuit open for {self.server}")
            raise CircuitOpen(connection=None) from error

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            was_open = self.is_open
            self.is_open = True
            self.open_until = time.monotonic() + CIRCUIT_OPEN_SECONDS
        if not was_open:
            logger.warning(
                "cache_circuit_opened",
                server=self.server,
                error=repr(exc),
                seconds=CIRCUIT_OPEN_SECONDS,
            )

    def succeeded(self) -> None:
        if self.is_open:
            with self._lock:
                was_open, self.is_open = self.is_open, False
            if was_open:
                logger.info("cache_circuit_closed", server=self.server)


_breakers: dict[str, _Breaker] = {}


def breaker_for(server: str) -> _Breaker:
    if server not in _breakers:
        _breakers[server] = _Breaker(server)
    return _breakers[server]


def reset_breakers() -> None:
    """Close every breaker of this process (tests)."""
    _breakers.clear()


def _is_connection_failure(exc: ConnectionInterrupted) -> bool:
    return isinstance(exc.__cause__, _CONNECTION_ERRORS)


def _guarded(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        breaker = breaker_for(",".join(self._server))
        breaker.before_call()
        try:
            result = method(self, *args, **kwargs)
        except ConnectionInterrupted as exc:
            if not isinstance(exc, CircuitOpen) and _is_connection_failure(exc):
                breaker.failed(exc.__cause__)
            raise
        breaker.succeeded()
        return result

    return call


class CircuitBreakerClient(DefaultClient):
    pass


for _name in (
    "get",
    "set",
    "add",
    "delete",
    "delete_many",
    "delete_pattern",
    "get_many",
    "set_many",
    "incr",
    "decr",
    "has_key",
    "touch",
    "ttl",
    "pttl",
    "expire",
    "persist",
    "clear",
    "keys",
    "iter_keys",
    "incr_version",
):
    setattr(CircuitBreakerClient, _name, _guarded(getattr(DefaultClient, _name)))


class SkipCircuitOpen(logging.Filter):
    """For django-redis's "Exception ignored" logger: log the real failures,
    not every call failed fast while the circuit is open."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, CircuitOpen)


class ResilientRedisCache(RedisCache):
    """django-redis's backend with the circuit-breaking client by default;
    set `OPTIONS["IGNORE_EXCEPTIONS"]` for failures to read as misses."""

    def __init__(self, server: str, params: dict) -> None:
        options = params.setdefault("OPTIONS", {})
        options.setdefault("CLIENT_CLASS", "core.cachebackend.CircuitBreakerClient")
        super().__init__(server, params)

    def add(self, *args, **kwargs):
        stored = super().add(*args, **kwargs)
        # None: the call failed and was ignored (a real answer is a bool).
        return True if stored is None else stored
