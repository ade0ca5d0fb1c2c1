"""The mail outbox end to end: a real Celery worker (with its beat) in
another process sends over SMTP to a slow sink in this one, and is SIGKILLed
while the sink holds its reply. No email is lost, none is sent twice.

The worker reads the test database pytest-django created, so every test here
commits for real (transaction=True)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from conftest import require_service
from core import mailer
from core.models import OutgoingEmail
from core.tasks import send_email
from core.testing.processes import CeleryWorker, RedisServer, database_url, wait_until
from core.testing.smtp import DripSmtpServer, SmtpSink

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LEASE = 4  # seconds a claimed email is left to its sender
BEAT = 1  # seconds between the worker's beat ticks
SEND_TIMEOUT = 60  # seconds a test waits for the worker


@pytest.fixture(scope="module")
def mail_redis(tmp_path_factory) -> Iterator[RedisServer]:
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL to a PostgreSQL database for the worker to share",
    )
    server = RedisServer(tmp_path_factory.mktemp("mail-redis"))
    try:
        require_service("Redis", server.start(), "redis-server could not be started")
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def _worker(*, tmp_path, redis: RedisServer, smtp_port: int, pool: str = "solo", **env):
    return CeleryWorker(
        directory=tmp_path / "worker",
        project_dir=settings.BASE_DIR,
        pool=pool,
        env={
            "DJANGO_SETTINGS_MODULE": "core.testing.mail_worker_settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis.url,
            "KAMPUNG_TEST_SMTP_PORT": str(smtp_port),
            "MAIL_RELAY_INTERVAL": str(BEAT),
            "KAMPUNG_VAR_DIR": str(tmp_path / "var"),
            **env,
        },
    )


@pytest.fixture
def worker(django_db_setup, mail_redis, sink, tmp_path, celery_broker) -> Iterator[CeleryWorker]:
    """A worker sending to `sink`; this process queues to the same Redis.
    (Its lease is shorter than the send task's hard limit, which the solo
    pool does not enforce anyway: the sends here take under a second.)"""
    celery_broker(mail_redis.url)
    worker = _worker(
        tmp_path=tmp_path,
        redis=mail_redis,
        smtp_port=sink.port,
        MAIL_SEND_LEASE_SECONDS=str(LEASE),
        MAIL_RETRY_BASE_SECONDS=str(BEAT),
    )
    try:
        assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"
        yield worker
    finally:
        worker.stop()
        print(f"--- celery worker log (tail) ---\n{worker.log_tail()}")


def _record(count: int) -> list[int]:
    """Committed at once (no transaction open): each send is queued."""
    return [
        mailer.email_record(
            key=f"test:{n}:kill:member{n}@example.com",
            kind="test.kill",
            to=f"member{n}@example.com",
            subject=f"Message {n}",
            body_text=f"Body {n}",
        ).pk
        for n in range(count)
    ]


def _all_sent(ids: list[int]) -> bool:
    return OutgoingEmail.objects.filter(
        pk__in=ids, status=OutgoingEmail.Status.SENT
    ).count() == len(ids)


def test_a_worker_killed_mid_send_leaves_the_email_to_be_sent_once_after_its_lease(worker, sink):
    # given a slow mail server, holding its reply to each message for 2 s
    sink.reply_delay = 2.0

    # when the worker is killed while the server holds the reply
    [email_id] = _record(1)
    assert sink.data_received.wait(SEND_TIMEOUT), worker.log_tail()
    worker.kill()

    # then the email is neither sent nor lost: its sender's lease holds it
    email = OutgoingEmail.objects.get(pk=email_id)
    assert email.status == OutgoingEmail.Status.SENDING
    assert email.attempts == 1
    assert sink.messages == []

    # when a worker runs again (the server now answers at once)
    sink.reply_delay = 0.0
    assert worker.start(), worker.log_tail()

    # then the beat sends it after the lease, once
    assert wait_until(lambda: _all_sent([email_id]), timeout=SEND_TIMEOUT), worker.log_tail()
    wait_until(lambda: len(sink.messages) > 1, timeout=3 * BEAT)
    assert [m["To"] for m in sink.messages] == ["member0@example.com"]
    assert OutgoingEmail.objects.get(pk=email_id).attempts == 2


def test_emails_sent_through_repeated_worker_kills_arrive_exactly_once(worker, sink):
    # given a batch of emails and a slow server
    sink.reply_delay = 0.3
    ids = _record(12)

    # when the worker is killed twice, each time while the server holds a
    # reply, and restarted
    for _kill in range(2):
        sink.data_received.clear()
        assert sink.data_received.wait(SEND_TIMEOUT), worker.log_tail()
        worker.kill()
        assert worker.start(), worker.log_tail()

    # then every email arrives, none twice
    assert wait_until(lambda: _all_sent(ids), timeout=SEND_TIMEOUT), worker.log_tail()
    wait_until(lambda: len(sink.messages) > len(ids), timeout=3 * BEAT)
    received = sorted(m["To"] for m in sink.messages)
    assert received == sorted(f"member{n}@example.com" for n in range(12))
    assert len({m["Message-ID"] for m in sink.messages}) == 12
    # and the two killed sends were retried after their lease
    attempts = list(OutgoingEmail.objects.filter(pk__in=ids).values_list("attempts", flat=True))
    assert sorted(attempts)[-2:] == [2, 2]


def test_a_send_that_runs_into_its_soft_time_limit_is_left_to_retry_by_a_real_worker(
    django_db_setup, mail_redis, tmp_path, celery_broker, monkeypatch
):
    # given a mail server that trickles a greeting that never ends (each line
    # well within the socket timeout), and a prefork worker, which enforces
    # time limits: soft 2 s, hard 17 s. (Celery puts the queuing process's
    # task limits in the message, and the worker obeys the message: this
    # process queues with the same limits.)
    celery_broker(mail_redis.url)
    task = send_email._get_current_object()
    monkeypatch.setattr(task, "soft_time_limit", 2)
    monkeypatch.setattr(task, "time_limit", 17)
    monkeypatch.setattr(task, "_exec_options", None, raising=False)
    with DripSmtpServer(interval=0.3) as server:
        worker = _worker(
            tmp_path=tmp_path,
            redis=mail_redis,
            smtp_port=server.port,
            pool="prefork",
            EMAIL_TIMEOUT="5",
            MAIL_SEND_SOFT_TIME_LIMIT="2",
            MAIL_SEND_LEASE_SECONDS="30",
            MAIL_RETRY_BASE_SECONDS="600",
        )
        try:
            assert worker.start(), f"the Celery worker did not start:\n{worker.log_tail()}"

            # when an email is sent to it
            [email_id] = _record(1)

            # then the soft limit stops the send and leaves the email to retry,
            # well before the hard limit would kill the process mid-way
            def failed() -> bool:
                return OutgoingEmail.objects.filter(
                    pk=email_id, status=OutgoingEmail.Status.FAILED
                ).exists()

            assert wait_until(failed, timeout=15), worker.log_tail()
            assert server.accepted.is_set()
        finally:
            worker.stop()
            print(f"--- celery worker log (tail) ---\n{worker.log_tail()}")
    email = OutgoingEmail.objects.get(pk=email_id)
    assert email.attempts == 1
    assert email.claim_token is None
    assert "SoftTimeLimitExceeded" in email.last_error
    assert email.next_attempt_at > email.updated_at
