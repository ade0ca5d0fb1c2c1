"""The outbox end to end: a real Celery worker (with its beat relay) in
another process, a private Redis this module may stop or pause, PostgreSQL.

The worker reads the test database pytest-django created, so every test here
commits for real (transaction=True)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection, transaction

from conftest import require_service
from core.events import publish
from core.models import OutboxDelivery
from core.testing.probe.events import ProbePinged, ProbeSlowed
from core.testing.probe.models import ProbeRecord
from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RELAY_INTERVAL = 1  # seconds, the worker's beat relay and retry base
LEASE = 5  # seconds a claimed delivery is left to its worker (> ProbeSlowed's 3 s)
DELIVERY_TIMEOUT = 30  # seconds a test waits for the worker
PUBLISH_BOUND = 5  # seconds a commit that publishes may take when the broker is out


def _require_postgresql() -> None:
    # postgres_required is function-scoped; the module's worker needs it first.
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL to a PostgreSQL database for the worker to share",
    )


@pytest.fixture(scope="module")
def outbox_redis(tmp_path_factory) -> Iterator[RedisServer]:
    _require_postgresql()
    server = RedisServer(tmp_path_factory.mktemp("outbox-redis"))
    try:
        require_service("Redis", server.start(), "redis-server could not be started")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def outbox_worker(django_db_setup, outbox_redis, tmp_path_factory) -> Iterator[CeleryWorker]:
    directory = tmp_path_factory.mktemp("outbox-worker")
    worker = CeleryWorker(
        directory=directory,
        project_dir=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": outbox_redis.url,
            "OUTBOX_RELAY_INTERVAL": str(RELAY_INTERVAL),
            "OUTBOX_RETRY_BASE_SECONDS": str(RELAY_INTERVAL),
            "OUTBOX_LEASE_SECONDS": str(LEASE),
            "KAMPUNG_VAR_DIR": str(directory / "var"),
        },
    )
    try:
        assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def outbox(postgres_required, outbox_worker, outbox_redis, celery_broker, settings):
    """This process publishes to the worker's private Redis, with the same
    retry base as the worker. Prints the worker's log if the test fails."""
    celery_broker(outbox_redis.url)
    settings.OUTBOX_RETRY_BASE_SECONDS = RELAY_INTERVAL
    yield outbox_worker
    print(f"--- celery worker log (tail) ---\n{outbox_worker.log_tail()}")
    print(f"--- redis log (tail) ---\n{outbox_redis.log_tail(1500)}")


def _records(event: ProbePinged | ProbeSlowed) -> int:
    return ProbeRecord.objects.filter(event_id=event.event_id).count()


def _delivered(event: ProbePinged | ProbeSlowed) -> bool:
    return OutboxDelivery.objects.filter(
        event_id=event.event_id, status=OutboxDelivery.Status.DELIVERED
    ).exists()


def _wait_delivered(worker: CeleryWorker, *pending: ProbePinged | ProbeSlowed) -> None:
    assert wait_until(lambda: all(_delivered(e) for e in pending), timeout=DELIVERY_TIMEOUT), (
        f"not delivered within {DELIVERY_TIMEOUT} s; worker log:\n{worker.log_tail()}"
    )


def _being_handled(event: ProbeSlowed) -> bool:
    """The worker has counted its attempt and holds the delivery row lock
    while its handler runs."""
    with transaction.atomic():
        pending = OutboxDelivery.objects.filter(
            event_id=event.event_id, status=OutboxDelivery.Status.PENDING, attempts__gte=1
        )
        return pending.exists() and not pending.select_for_update(skip_locked=True).exists()


def _timed_publish(*pending: ProbePinged | ProbeSlowed) -> float:
    started = time.monotonic()
    with transaction.atomic():
        for event in pending:
            publish(event)
    return time.monotonic() - started


def test_real_worker_delivers_a_committed_event_in_its_own_process(outbox):
    # given
    event = ProbePinged(note="through a real worker")

    # when
    _timed_publish(event)

    # then
    _wait_delivered(outbox, event)
    record = ProbeRecord.objects.get(event_id=event.event_id)
    assert record.note == "through a real worker"
    assert record.handled_by_pid == outbox.pid
    assert record.handled_by_pid != os.getpid()


def test_publish_while_redis_is_stopped_returns_quickly_and_the_relay_delivers_later(
    outbox, outbox_redis
):
    # given
    outbox_redis.stop()
    event = ProbePinged(note="published while Redis was stopped")

    # when
    try:
        elapsed = _timed_publish(event)
        delivery = OutboxDelivery.objects.get(event_id=event.event_id)
    finally:
        assert outbox_redis.start(), "Redis did not restart on its port"

    # then
    print(f"commit publishing one event with Redis stopped took {elapsed:.2f} s")
    assert elapsed < PUBLISH_BOUND
    assert delivery.status == OutboxDelivery.Status.PENDING
    assert delivery.attempts == 0

    # when Redis is back: only the worker's beat relay knows about the event
    _wait_delivered(outbox, event)
    time.sleep(3 * RELAY_INTERVAL)

    # then
    assert _records(event) == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert ProbeRecord.objects.get(event_id=event.event_id).handled_by_pid == outbox.pid


def test_publish_while_redis_hangs_returns_within_seconds_and_each_event_is_delivered_once(
    outbox, outbox_redis
):
    # given: a paused Redis accepts connections and never answers
    outbox_redis.pause()
    pending = [ProbePinged(note=f"published while Redis hung #{n}") for n in range(3)]

    # when
    try:
        elapsed = _timed_publish(*pending)
        statuses = set(
            OutboxDelivery.objects.filter(event_id__in=[e.event_id for e in pending]).values_list(
                "status", flat=True
            )
        )
    finally:
        outbox_redis.resume()

    # then
    print(f"commit publishing three events with Redis hung took {elapsed:.2f} s")
    assert elapsed < PUBLISH_BOUND
    assert statuses == {OutboxDelivery.Status.PENDING}

    # when Redis answers again
    _wait_delivered(outbox, *pending)
    time.sleep(3 * RELAY_INTERVAL)

    # then
    assert [_records(e) for e in pending] == [1, 1, 1]
    assert all(_delivered(e) for e in pending)


def test_worker_killed_mid_handler_leaves_the_event_to_the_relay_after_restart(outbox):
    # given: the handler is running in the worker when it is killed
    event = ProbeSlowed(note="worker killed mid-handler", seconds=3)
    _timed_publish(event)
    assert wait_until(lambda: _being_handled(event), timeout=DELIVERY_TIMEOUT, interval=0.05), (
        outbox.log_tail()
    )
    killed_pid = outbox.pid

    # when
    outbox.kill()

    # then: its transaction died with it; the attempt was counted before
    delivery = OutboxDelivery.objects.get(event_id=event.event_id)
    assert delivery.status == OutboxDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert _records(event) == 0

    # when the worker comes back (the module's later tests use it too)
    assert outbox.start(), f"the worker did not restart:\n{outbox.log_tail()}"
    _wait_delivered(outbox, event)
    time.sleep(3 * RELAY_INTERVAL)

    # then
    assert _records(event) == 1
    record = ProbeRecord.objects.get(event_id=event.event_id)
    assert record.handled_by_pid == outbox.pid
    assert record.handled_by_pid != killed_pid
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 2
