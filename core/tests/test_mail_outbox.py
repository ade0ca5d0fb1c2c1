"""The mail outbox (core.mailer): recorded with the change, sent by its own
task, never twice, never lost. Celery runs eagerly; the mailer is locmem."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import mailer
from core.models import OutgoingEmail
from core.tasks import prune_emails, send_due_emails, send_email

pytestmark = pytest.mark.django_db

S = OutgoingEmail.Status


def _record(key: str = "thing:1:happened:a@example.com", **kwargs) -> OutgoingEmail:
    fields = {
        "kind": "test.happened",
        "to": "a@example.com",
        "subject": "It happened",
        "body_text": "Plain words.",
        "body_html": "<p>Plain words.</p>",
    }
    return mailer.email_record(key=key, **fields | kwargs)


class _Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


def test_an_email_is_sent_after_its_transaction_commits(django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = _record()

    # then nothing went out inside the transaction
    assert mail.outbox == []
    assert OutgoingEmail.objects.get(pk=email.pk).status == S.PENDING

    # when it commits
    for callback in callbacks:
        callback()

    # then
    [message] = mail.outbox
    assert message.to == ["a@example.com"]
    assert message.subject == "It happened"
    assert message.alternatives[0] == ("<p>Plain words.</p>", "text/html")
    email.refresh_from_db()
    assert email.status == S.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert message.extra_headers["Message-ID"] == email.headers["Message-ID"]


def test_recording_the_same_key_twice_records_and_sends_one_email(
    django_capture_on_commit_callbacks,
):
    # when the same event is handled twice (a redelivery)
    with django_capture_on_commit_callbacks(execute=True):
        first = _record()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _record(subject="Another rendering")

    # then
    assert second.pk == first.pk
    assert callbacks == []
    assert OutgoingEmail.objects.count() == 1
    assert [m.subject for m in mail.outbox] == ["It happened"]


def test_an_email_rolled_back_with_its_change_is_never_sent(django_capture_on_commit_callbacks):
    # when the transaction that recorded it fails
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _record()
        raise RuntimeError("the change failed")

    # then
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_running_the_send_task_again_never_sends_a_sent_email(django_capture_on_commit_callbacks):
    # given a sent email
    with django_capture_on_commit_callbacks(execute=True):
        email = _record()
    assert len(mail.outbox) == 1

    # when its task runs again (a redelivered task, the beat task, staff)
    assert send_email.delay(email.pk).get() is False
    assert mailer.email_send(email_id=email.pk) is False
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    send_due_emails.delay()

    # then
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.get(pk=email.pk).attempts == 1


def test_a_failed_send_backs_off_then_is_sent_by_the_beat_task(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given a mail server that refuses once
    calls = []

    def refuse_once(email):
        calls.append(email.pk)
        if len(calls) == 1:
            raise ConnectionRefusedError("mail server down")
        return original(email)

    original = mailer._deliver
    monkeypatch.setattr(mailer, "_deliver", refuse_once)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        email = _record()

    # then it waits for its backoff, retryable
    email.refresh_from_db()
    assert email.status == S.FAILED
    assert email.attempts == 1
    assert "mail server down" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert mail.outbox == []
    assert send_due_emails.delay().get() == 0  # not due yet
    assert mailer.email_send(email_id=email.pk) is False

    # when the backoff has run out and the beat task runs
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert send_due_emails.delay().get() == 1

    # then
    email.refresh_from_db()
    assert email.status == S.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(mail.outbox) == 1


def test_an_email_that_always_fails_ends_dead_after_the_last_attempt(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    settings.MAIL_MAX_ATTEMPTS = 3

    def refuse(email):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(mailer, "_deliver", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        email = _record()

    # when every retry is due and fails
    for _ in range(5):
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        send_due_emails.delay()

    # then
    email.refresh_from_db()
    assert email.status == S.DEAD
    assert email.attempts == 3
    assert mailer.email_due_ids() == []


def test_a_claimed_email_whose_worker_died_is_sent_once_after_its_lease(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given a worker killed while talking to the mail server
    def killed(email):
        raise _Killed

    monkeypatch.setattr(mailer, "_deliver", killed)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = _record()
    with pytest.raises(_Killed):
        mailer.email_send(email_id=email.pk)
    monkeypatch.undo()
    email.refresh_from_db()
    assert email.status == S.SENDING
    assert email.attempts == 1

    # when the task is redelivered while the lease holds, and the beat ticks
    callbacks[0]()
    send_due_emails.delay()

    # then nobody else sends it yet
    assert mail.outbox == []

    # when the lease has expired (no live sender can hold it: it outlasts the
    # send task's hard time limit)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert send_due_emails.delay().get() == 1
    send_due_emails.delay()

    # then it is sent, once
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == S.SENT
    assert email.attempts == 2


def test_a_send_stopped_by_its_soft_time_limit_stays_retryable(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given a send that runs into the task's soft time limit mid-conversation
    def too_slow(email):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(mailer, "_deliver", too_slow)
    with django_capture_on_commit_callbacks(execute=False):
        email = _record()

    # when
    with pytest.raises(SoftTimeLimitExceeded):
        mailer.email_send(email_id=email.pk)

    # then it is not left half-done: failed, with its retry scheduled
    email.refresh_from_db()
    assert email.status == S.FAILED
    assert email.claim_token is None
    assert email.next_attempt_at > timezone.now()
    assert mail.outbox == []


def test_a_soft_time_limit_after_the_server_accepted_still_marks_the_email_sent(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given the soft limit fires just as the send is being marked
    marks = []
    mark = mailer._mark

    def interrupted_once(*args, **kwargs):
        if not marks:
            marks.append(1)
            raise SoftTimeLimitExceeded
        return mark(*args, **kwargs)

    monkeypatch.setattr(mailer, "_mark", interrupted_once)
    with django_capture_on_commit_callbacks(execute=False):
        email = _record()

    # when
    with pytest.raises(SoftTimeLimitExceeded):
        mailer.email_send(email_id=email.pk)

    # then the message that went out is recorded as sent, never resent
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.get(pk=email.pk).status == S.SENT


def test_an_email_killing_its_worker_every_time_ends_dead(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    settings.MAIL_MAX_ATTEMPTS = 2

    def killed(email):
        raise _Killed

    monkeypatch.setattr(mailer, "_deliver", killed)
    with django_capture_on_commit_callbacks(execute=False):
        email = _record()

    # when each lease expires and the email is claimed again
    for _ in range(2):
        with pytest.raises(_Killed):
            mailer.email_send(email_id=email.pk)
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert mailer.email_send(email_id=email.pk) is False

    # then it is given up, not claimed forever
    email.refresh_from_db()
    assert email.status == S.DEAD
    assert "killed" in email.last_error


def test_the_beat_task_queues_a_lost_email_once_not_every_tick(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given an email whose on-commit send never reached the broker
    with django_capture_on_commit_callbacks(execute=False):
        email = _record()
    queued = []
    monkeypatch.setattr(mailer, "enqueue_email", lambda pk, force=False: queued.append(pk) or True)
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())

    # when the beat task runs three times while the queued task waits
    for _ in range(3):
        mailer.email_send_due()

    # then it was queued once, and is still claimable by that task
    assert queued == [email.pk]
    monkeypatch.undo()
    assert mailer.email_send(email_id=email.pk) is True
    assert len(mail.outbox) == 1


def test_a_broker_failure_leaves_the_email_to_the_beat_task(monkeypatch):
    # given a broker that cannot be reached
    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(send_email, "apply_async", broker_down)
    monkeypatch.setattr(mailer, "_enqueue_paused_until", 0.0)

    # when an email is recorded and committed (outside a transaction here)
    email = _record()

    # then nothing raised, and the email waits to be sent
    assert OutgoingEmail.objects.get(pk=email.pk).status == S.PENDING
    assert mail.outbox == []


def test_a_sensitive_email_sends_no_marker_header_and_its_bodies_are_erased_once_sent(
    django_capture_on_commit_callbacks,
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        email = _record(body_text="Your code is 123456", secret=True)

    # then the reader got the code, the row no longer holds it
    [message] = mail.outbox
    assert "123456" in message.body
    assert mailer.SENSITIVE_HEADER not in message.extra_headers
    email.refresh_from_db()
    assert email.status == S.SENT
    assert email.body_text == email.body_html == ""


def test_old_sent_and_dead_emails_are_pruned_and_everything_else_is_kept(
    django_capture_on_commit_callbacks,
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        _record(key="a:old")
        fresh_sent = _record(key="a:fresh")
    with django_capture_on_commit_callbacks(execute=False):
        old_dead = _record(key="b:dead")
        _record(key="b:pending")
    OutgoingEmail.objects.filter(pk=old_dead.pk).update(status=S.DEAD)
    long_ago = timezone.now() - timedelta(days=settings.MAIL_KEEP_DAYS + 1)
    OutgoingEmail.objects.exclude(pk=fresh_sent.pk).update(updated_at=long_ago)

    # when the hourly task runs
    assert prune_emails.delay().get() == 2

    # then an email not yet sent is never pruned, however old
    assert set(OutgoingEmail.objects.values_list("key", flat=True)) == {"a:fresh", "b:pending"}
    assert "core.tasks.prune_emails" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_key_longer_than_the_column_is_refused_before_anything_is_written():
    with pytest.raises(ValueError):
        _record(key="x" * 300)
    assert not OutgoingEmail.objects.exists()


def test_the_send_task_lease_outlasts_its_hard_time_limit_and_every_task_is_bounded():
    # then a live sender is done or killed before another may claim its email
    assert send_email.time_limit < settings.MAIL_SEND_LEASE_SECONDS
    assert send_email.soft_time_limit < send_email.time_limit
    # and no task may run forever
    assert 0 < settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.MAIL_TIMEOUT > 0
    assert "core.tasks.send_due_emails" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_every_project_task_has_a_soft_limit_below_its_hard_limit():
    from config.celery_app import app

    # given the tasks of this project (not Celery's own)
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "core.tasks.send_email" in tasks

    # then each stops itself (soft) before it is killed (hard)
    for name, task in tasks.items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, name


def test_a_lease_shorter_than_the_send_tasks_hard_limit_fails_the_system_check(settings):
    # given
    settings.MAIL_SEND_LEASE_SECONDS = send_email.time_limit

    # when
    errors = mailer.check_send_lease()

    # then
    assert [error.id for error in errors] == ["core.E010"]
    settings.MAIL_SEND_LEASE_SECONDS = send_email.time_limit + 1
    assert mailer.check_send_lease() == []


# --- admin ------------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model, monkeypatch):
    """A superuser; the admin's second factor is covered in accounts' tests."""
    admin.site.name  # noqa: B018 - sets up the lazy site, to reach its class
    monkeypatch.setattr(
        type(admin.site._wrapped),
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    user = django_user_model.objects.create_superuser(
        email="boss@example.com", password="pw-boss-123456"
    )
    client.force_login(user)
    return client


def test_staff_list_filter_and_search_emails_by_recipient_and_key(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        _record(key="order:1:paid:siti@example.com", to="siti@example.com")
        _record(key="order:2:paid:budi@example.com", to="budi@example.com")
    url = reverse("admin:core_outgoingemail_changelist")

    # when / then
    by_recipient = staff_client.get(url, {"q": "siti@"}).content.decode()
    assert "order:1:paid:siti@example.com" in by_recipient
    assert "order:2:paid" not in by_recipient
    by_key = staff_client.get(url, {"q": "order:2:"}).content.decode()
    assert "order:2:paid:budi@example.com" in by_key
    assert "order:1:paid" not in by_key
    assert "order:1:paid" in staff_client.get(url, {"status__exact": "sent"}).content.decode()
    assert "order:1:paid" not in staff_client.get(url, {"status__exact": "dead"}).content.decode()


def test_staff_retry_a_dead_email_but_never_resend_a_sent_one(
    staff_client, django_capture_on_commit_callbacks
):
    # given one dead email and one sent
    with django_capture_on_commit_callbacks(execute=True):
        sent = _record(key="a:1")
    with django_capture_on_commit_callbacks(execute=False):
        dead = _record(key="a:2")
    OutgoingEmail.objects.filter(pk=dead.pk).update(status=S.DEAD, attempts=8)
    mail.outbox.clear()

    # when staff retry both
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:core_outgoingemail_changelist"),
            {"action": "retry", "_selected_action": [sent.pk, dead.pk]},
        )

    # then only the dead one goes out
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    dead.refresh_from_db()
    assert dead.status == S.SENT
    assert dead.attempts == 1
    assert OutgoingEmail.objects.get(pk=sent.pk).status == S.SENT


def test_staff_never_see_the_body_of_an_email_holding_a_sign_in_secret(
    staff_client, django_capture_on_commit_callbacks
):
    # given a login code waiting to be sent
    with django_capture_on_commit_callbacks(execute=False):
        email = _record(key="account:login_code:x", body_text="Your code is 654321", secret=True)

    # when
    page = staff_client.get(reverse("admin:core_outgoingemail_change", args=[email.pk]))

    # then
    assert page.status_code == 200
    assert "654321" not in page.content.decode()
