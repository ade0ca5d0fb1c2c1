from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import require_service
from core import events
from core.testing.celery import celery_broker  # noqa: F401 - a fixture
from core.testing.processes import RedisServer, free_port


@pytest.fixture
def subscribers(monkeypatch) -> dict:
    """A private copy of the subscriber registry: handlers a test subscribes
    are gone after it."""
    registry = {event_type: dict(handlers) for event_type, handlers in events._subscribers.items()}
    monkeypatch.setattr(events, "_subscribers", registry)
    return registry


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
