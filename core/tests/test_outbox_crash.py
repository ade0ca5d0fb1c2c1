"""A handler that kills its worker every time ends dead after
OUTBOX_MAX_ATTEMPTS, with a real Celery worker process restarted between
kills the way a process supervisor would, a private Redis, and PostgreSQL.

The worker reads the test database pytest-django created, so the test commits
for real (transaction=True)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction

from conftest import require_service
from core.events import publish
from core.models import OutboxDelivery
from core.testing.probe.events import ProbeDoomed
from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MAX_ATTEMPTS = 3
RELAY_INTERVAL = 1  # seconds, the worker's beat relay and retry base
LEASE = 2  # seconds before a killed worker's delivery is tried again
# Restarts the test allows: a delivery that loops forever would use them all.
RESTARTS = MAX_ATTEMPTS + 3
WAIT = 45  # seconds the test waits for one kill, or for the dead mark


@pytest.fixture
def doomed_worker(postgres_required, tmp_path, celery_broker, settings) -> Iterator[CeleryWorker]:
    redis = RedisServer(tmp_path / "redis")
    require_service("Redis", redis.start(), "redis-server could not be started")
    celery_broker(redis.url)
    settings.OUTBOX_MAX_ATTEMPTS = MAX_ATTEMPTS
    worker = CeleryWorker(
        directory=tmp_path / "worker",
        project_dir=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis.url,
            "OUTBOX_RELAY_INTERVAL": str(RELAY_INTERVAL),
            "OUTBOX_RETRY_BASE_SECONDS": str(RELAY_INTERVAL),
            "OUTBOX_LEASE_SECONDS": str(LEASE),
            "OUTBOX_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            "KAMPUNG_VAR_DIR": str(tmp_path / "worker" / "var"),
        },
    )
    try:
        assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"
        yield worker
    finally:
        worker.stop()
        if worker.process is not None:
            _end_what_is_left(worker)  # stop() leaves the group alone once main is gone
        redis.stop()
        print(f"--- celery worker log (tail) ---\n{worker.log_tail()}")


def _end_what_is_left(worker: CeleryWorker) -> None:
    """The worker's main process is gone; its embedded beat (a child in the
    same process group) goes too, as a supervisor's stop would do."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)


def _delivery(event: ProbeDoomed) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event_id=event.event_id)


def _handled(marker: Path) -> int:
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def test_a_handler_that_kills_its_worker_every_time_ends_dead_after_max_attempts(
    doomed_worker, tmp_path
):
    # given
    marker = tmp_path / "attempts.txt"
    event = ProbeDoomed(marker=str(marker), spared_pid=os.getpid())
    with transaction.atomic():
        publish(event)

    # when: each attempt kills the worker; the test restarts it, a supervisor
    restarts = 0
    while _delivery(event).status == OutboxDelivery.Status.PENDING and restarts < RESTARTS:
        killed = wait_until(
            lambda: (
                doomed_worker.process.poll() is not None
                or _delivery(event).status != OutboxDelivery.Status.PENDING
            ),
            timeout=WAIT,
        )
        assert killed, f"neither killed nor dead within {WAIT} s:\n{doomed_worker.log_tail()}"
        if doomed_worker.process.poll() is None:
            break
        _end_what_is_left(doomed_worker)
        restarts += 1
        # Not asserted: a restarted worker may take the relayed delivery, and
        # die of it, before start() sees it running.
        doomed_worker.start()

    # then
    delivery = _delivery(event)
    print(
        f"restarts: {restarts}, handler runs: {_handled(marker)}, attempts: "
        f"{delivery.attempts}, status: {delivery.status}"
    )
    assert delivery.status == OutboxDelivery.Status.DEAD
    assert delivery.attempts == MAX_ATTEMPTS
    assert _handled(marker) == MAX_ATTEMPTS
    assert restarts == MAX_ATTEMPTS
    assert "never finished" in delivery.last_error
    assert doomed_worker.process.poll() is None  # the last start found it dead, ran nothing
