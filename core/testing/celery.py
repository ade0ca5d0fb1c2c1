"""Pytest fixtures for tests that drive a real Celery worker: this process's
Celery app pointed at a test's own broker. Imported by the conftest of each
app whose tests need them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from kombu import pools as kombu_pools

from config.celery_app import app as celery_app


def reset_broker_pools() -> None:
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
        reset_broker_pools()
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = (
            dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS) if url.startswith("redis") else {}
        )
        celery_app.conf.task_always_eager = eager

    yield use
    reset_broker_pools()
    for key, value in saved.items():
        celery_app.conf[key] = value
