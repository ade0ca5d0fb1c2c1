from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from config.celery_app import app as celery_app
from conftest import require_service
from core import events
from core.testing.processes import RedisServer, free_port


@pytest.fixture(autouse=True)
def _no_enqueue_pause(monkeypatch) -> None:
    """No test inherits another's broker-failure pause."""
    monkeypatch.setattr(events, "_enqueue_paused_until", 0.0)


@pytest.fixture
def subscribers(monkeypatch) -> dict:
    """A private copy of the subscriber registry: handlers a test subscribes
    are gone after it."""
    registry = {event_type: dict(handlers) for event_type, handlers in events._subscribers.items()}
    monkeypatch.setattr(events, "_subscribers", registry)
    return registry


def _reset_broker_pools() -> None:
    """Close every broker connection of this process: kombu keeps its pools
    in a global registry keyed by connection URL."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def celery_broker() -> Iterator[Callable[..., None]]:
    """Point this process's Celery app at another broker, non-eager:
    `celery_broker(url)`. Redis URLs get the product's Redis transport options.
    The app's configuration and connection pools are restored afterwards."""
    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}

    def use(url: str, *, eager: bool = False) -> None:
        _reset_broker_pools()
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = (
            dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS) if url.startswith("redis") else {}
        )
        celery_app.conf.task_always_eager = eager

    yield use
    _reset_broker_pools()
    for key, value in saved.items():
        celery_app.conf[key] = value


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL on a loopback port nothing listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop or pause."""
    server = RedisServer(tmp_path / "redis")
    try:
        require_service("Redis", server.start(), "redis-server could not be started")
        yield server
    finally:
        server.stop()


@pytest.fixture
def notification_kinds():
    """The probe kinds of notification (core/tests/notification_kinds.py)."""
    from core.tests.notification_kinds import registered_kinds

    with registered_kinds():
        yield
