from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib import admin
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import events, services
from core.events import DomainEvent, publish, subscribe
from core.models import OutboxDelivery, OutboxEvent
from core.tasks import deliver_event, deliver_events
from core.testing.probe.events import ProbePinged
from core.testing.probe.handlers import record_ping
from core.testing.probe.models import ProbeRecord
from core.tests.factories import PASSWORD, OutboxDeliveryFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

RECORD_PING = "probe.record_ping"


@dataclass(frozen=True, kw_only=True)
class NobodyListens(DomainEvent, name="test.nobody_listens"):
    note: str


def _delivery(event: DomainEvent, handler: str = RECORD_PING) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event_id=event.event_id, handler=handler)


def _make_due(delivery: OutboxDelivery) -> None:
    OutboxDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _failing_subscriber(calls: list) -> str:
    """Subscribe a ProbePinged handler that writes a row, then fails."""

    def explode(event: ProbePinged) -> None:
        calls.append(event.event_id)
        ProbeRecord.objects.create(
            event_id=uuid.uuid4(), note="written by a failing handler", handled_by_pid=0
        )
        raise RuntimeError("the handler broke")

    subscribe(ProbePinged, name="test.explode")(explode)
    return "test.explode"


# --- transactions ---------------------------------------------------------------------


def test_event_published_in_a_rolled_back_transaction_is_never_delivered(
    django_capture_on_commit_callbacks,
):
    # given
    event = ProbePinged(note="rolled back")

    # when
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(event)
        raise RuntimeError("the order could not be placed")

    # then
    assert callbacks == []
    assert not OutboxEvent.objects.filter(pk=event.event_id).exists()
    assert not OutboxDelivery.objects.filter(event_id=event.event_id).exists()
    assert not ProbeRecord.objects.exists()


def test_committed_event_is_delivered_once_to_each_subscriber(
    django_capture_on_commit_callbacks, subscribers
):
    # given
    received = []
    subscribe(ProbePinged, name="test.received")(received.append)
    event = ProbePinged(note="hello")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)

    # then
    assert received == [event]
    record = ProbeRecord.objects.get()
    assert record.event_id == event.event_id
    assert record.note == "hello"
    deliveries = OutboxDelivery.objects.filter(event_id=event.event_id)
    assert deliveries.count() == 2
    assert {d.status for d in deliveries} == {OutboxDelivery.Status.DELIVERED}
    assert {d.attempts for d in deliveries} == {1}


def test_second_delivery_of_a_delivered_event_is_a_no_op(
    django_capture_on_commit_callbacks, subscribers
):
    # given
    received = []
    subscribe(ProbePinged, name="test.received")(received.append)
    event = ProbePinged(note="once")
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)
    OutboxDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))

    # when
    delivered_again = services.outbox_deliver_event(event_id=event.event_id)
    relayed = services.outbox_relay()
    deliver_event.apply(args=[str(event.event_id)])

    # then
    assert delivered_again == 0
    assert relayed == 0
    assert received == [event]
    assert ProbeRecord.objects.count() == 1
    assert set(OutboxDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_probe_handler_is_idempotent():
    # given
    event = ProbePinged(note="twice")
    record_ping(event)

    # when
    record_ping(event)

    # then
    assert ProbeRecord.objects.filter(event_id=event.event_id).count() == 1


def test_event_without_subscribers_writes_the_outbox_row_and_enqueues_nothing(
    django_capture_on_commit_callbacks, monkeypatch
):
    # given
    sent = []
    monkeypatch.setattr(deliver_event, "apply_async", lambda *a, **kw: sent.append(a))
    event = NobodyListens(note="into the void")

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish(event)

    # then
    outbox_event = OutboxEvent.objects.get(pk=event.event_id)
    assert outbox_event.event_type == "test.nobody_listens"
    assert outbox_event.payload == {"note": "into the void"}
    assert not outbox_event.deliveries.exists()
    assert callbacks == []
    assert sent == []


def test_non_json_payload_is_refused_at_publish_time(django_capture_on_commit_callbacks):
    # given
    event = ProbePinged(note=Decimal("9.99"))

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(TypeError):
        publish(event)

    # then
    assert callbacks == []
    assert not OutboxEvent.objects.exists()
    assert not ProbeRecord.objects.exists()


# --- failures, backoff, relay ----------------------------------------------------------


def test_failing_handler_counts_attempts_records_the_error_and_backs_off_exponentially(
    django_capture_on_commit_callbacks, subscribers, settings
):
    # given
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_MAX_ATTEMPTS = 8
    calls: list = []
    failing = _failing_subscriber(calls)
    event = ProbePinged(note="flaky")
    delays = []

    # when
    for attempt in range(1, 5):
        before = timezone.now()
        if attempt == 1:
            with django_capture_on_commit_callbacks(execute=True):
                publish(event)
        else:
            _make_due(_delivery(event, failing))
            services.outbox_deliver_event(event_id=event.event_id)
        after = timezone.now()
        delivery = _delivery(event, failing)
        # then
        assert delivery.attempts == attempt
        assert delivery.status == OutboxDelivery.Status.PENDING
        assert "RuntimeError: the handler broke" in delivery.last_error
        assert before + timedelta(seconds=10 * 2 ** (attempt - 1)) <= delivery.next_attempt_at
        assert delivery.next_attempt_at <= after + timedelta(seconds=10 * 2 ** (attempt - 1))
        delays.append(delivery.next_attempt_at - before)

    # then
    assert len(calls) == 4
    assert [round(d.total_seconds() / 10) for d in delays] == [1, 2, 4, 8]


def test_backoff_is_capped_at_an_hour(settings):
    # given
    settings.OUTBOX_RETRY_BASE_SECONDS = 30

    # when
    delay = services.retry_delay(20)

    # then
    assert delay == timedelta(hours=1)


def test_delivery_is_dead_after_max_attempts_and_not_attempted_again(
    django_capture_on_commit_callbacks, subscribers, settings
):
    # given
    settings.OUTBOX_MAX_ATTEMPTS = 3
    calls: list = []
    failing = _failing_subscriber(calls)
    event = ProbePinged(note="doomed")
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)

    # when
    for _ in range(4):
        _make_due(_delivery(event, failing))
        services.outbox_deliver_event(event_id=event.event_id)
        services.outbox_relay()

    # then
    delivery = _delivery(event, failing)
    assert delivery.status == OutboxDelivery.Status.DEAD
    assert delivery.attempts == 3
    assert len(calls) == 3
    assert "the handler broke" in delivery.last_error


def test_failing_handlers_writes_are_rolled_back_while_other_handlers_succeed(
    django_capture_on_commit_callbacks, subscribers
):
    # given
    calls: list = []
    failing = _failing_subscriber(calls)
    event = ProbePinged(note="half good")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)

    # then
    assert calls == [event.event_id]
    assert list(ProbeRecord.objects.values_list("event_id", flat=True)) == [event.event_id]
    assert _delivery(event).status == OutboxDelivery.Status.DELIVERED
    assert _delivery(event, failing).status == OutboxDelivery.Status.PENDING


def test_delivery_to_a_handler_that_is_no_longer_registered_is_recorded_as_failed():
    # given
    delivery = OutboxDeliveryFactory(handler="probe.gone", attempts=0)

    # when
    delivered = services.outbox_deliver_event(event_id=delivery.event_id)

    # then
    delivery.refresh_from_db()
    assert delivered == 0
    assert delivery.attempts == 1
    assert "LookupError" in delivery.last_error
    assert delivery.status == OutboxDelivery.Status.PENDING


def test_relay_resends_only_due_deliveries():
    # given
    now = timezone.now()
    due = OutboxDeliveryFactory(next_attempt_at=now - timedelta(seconds=5), attempts=1)
    not_due = OutboxDeliveryFactory(next_attempt_at=now + timedelta(minutes=5), attempts=1)
    delivered = OutboxDeliveryFactory(
        next_attempt_at=now - timedelta(minutes=5), status=OutboxDelivery.Status.DELIVERED
    )
    dead = OutboxDeliveryFactory(
        next_attempt_at=now - timedelta(minutes=5), status=OutboxDelivery.Status.DEAD
    )

    # when
    sent = services.outbox_relay()

    # then
    assert sent == 1
    assert list(ProbeRecord.objects.values_list("event_id", flat=True)) == [due.event_id]
    for delivery, status in [
        (due, OutboxDelivery.Status.DELIVERED),
        (not_due, OutboxDelivery.Status.PENDING),
        (delivered, OutboxDelivery.Status.DELIVERED),
        (dead, OutboxDelivery.Status.DEAD),
    ]:
        delivery.refresh_from_db()
        assert delivery.status == status
    assert not_due.attempts == 1


def test_relay_sends_each_due_event_once_in_one_batch(monkeypatch):
    # given
    sent: list = []
    monkeypatch.setattr(deliver_events, "apply_async", lambda args, **kw: sent.append(args[0]))
    now = timezone.now()
    first = OutboxDeliveryFactory(next_attempt_at=now - timedelta(seconds=30))
    OutboxDeliveryFactory(
        event=first.event, handler="other.handler", next_attempt_at=now - timedelta(seconds=10)
    )
    second = OutboxDeliveryFactory(next_attempt_at=now - timedelta(seconds=20))

    # when
    count = services.outbox_relay()

    # then
    assert count == 2
    assert sent == [[str(first.event_id), str(second.event_id)]]


def test_resending_an_event_does_not_retry_a_delivery_before_its_backoff(subscribers):
    # given
    calls: list = []
    failing = _failing_subscriber(calls)
    event = ProbePinged(note="mixed")
    with transaction.atomic():
        publish(event)
    now = timezone.now()
    OutboxDelivery.objects.filter(handler=failing).update(
        attempts=1, next_attempt_at=now + timedelta(minutes=10)
    )
    OutboxDelivery.objects.filter(handler=RECORD_PING).update(
        attempts=1, next_attempt_at=now - timedelta(seconds=1)
    )

    # when
    services.outbox_relay()

    # then
    assert _delivery(event).status == OutboxDelivery.Status.DELIVERED
    backing_off = _delivery(event, failing)
    assert calls == []
    assert backing_off.attempts == 1
    assert backing_off.status == OutboxDelivery.Status.PENDING


# --- staff retry ------------------------------------------------------------------------


def _dead_delivery(subscribers, django_capture_on_commit_callbacks, settings):
    """A ProbePinged whose record_ping delivery died; the handler then recovers."""
    settings.OUTBOX_MAX_ATTEMPTS = 1
    broken = {"yes": True}

    def record_unless_broken(event):
        if broken["yes"]:
            raise RuntimeError("down for maintenance")
        record_ping(event)

    subscribers[ProbePinged.event_type] = {RECORD_PING: record_unless_broken}
    event = ProbePinged(note="resurrect me")
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)
    delivery = _delivery(event)
    assert delivery.status == OutboxDelivery.Status.DEAD
    broken["yes"] = False
    return event, delivery


def test_retry_service_resets_a_dead_delivery_and_it_gets_delivered(
    subscribers, django_capture_on_commit_callbacks, settings
):
    # given
    event, delivery = _dead_delivery(subscribers, django_capture_on_commit_callbacks, settings)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        count = services.outbox_deliveries_retry(deliveries=[delivery])

    # then
    assert count == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_error == ""
    assert ProbeRecord.objects.filter(event_id=event.event_id).count() == 1


def test_retry_service_leaves_delivered_deliveries_alone(django_capture_on_commit_callbacks):
    # given
    delivered_at = timezone.now() - timedelta(days=1)
    delivery = OutboxDeliveryFactory(
        status=OutboxDelivery.Status.DELIVERED, attempts=2, delivered_at=delivered_at
    )

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = services.outbox_deliveries_retry(deliveries=[delivery])

    # then
    assert count == 0
    assert callbacks == []
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.delivered_at == delivered_at
    assert not ProbeRecord.objects.exists()


def test_admin_retry_action_method_resets_a_dead_delivery_and_it_gets_delivered(
    subscribers, django_capture_on_commit_callbacks, settings
):
    # given
    event, delivery = _dead_delivery(subscribers, django_capture_on_commit_callbacks, settings)
    model_admin = admin.site._registry[OutboxDelivery]
    request = RequestFactory().post("/")
    request.user = SuperuserFactory()
    request._messages = CookieStorage(request)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.retry(request, OutboxDelivery.objects.filter(pk=delivery.pk))

    # then
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert ProbeRecord.objects.filter(event_id=event.event_id).count() == 1
    assert [str(m) for m in request._messages] == ["1 delivery queued for retry."]


def _log_in_with_totp(client, user) -> None:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302


def test_admin_changelist_retry_action_redelivers_a_dead_delivery(
    client, subscribers, django_capture_on_commit_callbacks, settings
):
    # given
    event, delivery = _dead_delivery(subscribers, django_capture_on_commit_callbacks, settings)
    _log_in_with_totp(client, SuperuserFactory())
    changelist = reverse("admin:core_outboxdelivery_changelist")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "retry", "_selected_action": [delivery.pk]})

    # then
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert ProbeRecord.objects.filter(event_id=event.event_id).count() == 1


# --- broker outages -----------------------------------------------------------------------


def test_publish_with_unreachable_broker_does_not_raise_and_the_relay_delivers_later(
    django_capture_on_commit_callbacks, celery_broker, closed_port_url
):
    # given
    celery_broker(closed_port_url)
    event = ProbePinged(note="broker is down")

    # when
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)
    elapsed = time.monotonic() - started

    # then: a refused connection fails at once (no sleep before kombu's retry)
    assert elapsed < 1.5
    delivery = _delivery(event)
    assert delivery.status == OutboxDelivery.Status.PENDING
    assert delivery.attempts == 0
    assert not ProbeRecord.objects.exists()

    # when the broker is back and the delivery is due
    celery_broker(closed_port_url, eager=True)
    _make_due(delivery)
    relayed = services.outbox_relay()

    # then
    assert relayed == 1
    assert _delivery(event).status == OutboxDelivery.Status.DELIVERED
    assert ProbeRecord.objects.filter(event_id=event.event_id).count() == 1


def test_after_a_broker_failure_publishes_leave_events_to_the_relay_for_a_while(
    django_capture_on_commit_callbacks, monkeypatch
):
    # given
    attempts: list = []

    def broker_down(args, **kwargs):
        attempts.append(args[0])
        raise OperationalError("Error 111 connecting. Connection refused.")

    monkeypatch.setattr(deliver_event, "apply_async", broker_down)
    first, second = ProbePinged(note="first"), ProbePinged(note="second")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        publish(first)
        publish(second)

    # then
    assert attempts == [str(first.event_id)]
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"pending"}

    # when the pause is over
    monkeypatch.setattr(events, "_enqueue_paused_until", time.monotonic() - 1)
    third = ProbePinged(note="third")
    with django_capture_on_commit_callbacks(execute=True):
        publish(third)

    # then
    assert attempts == [str(first.event_id), str(third.event_id)]


def test_relay_is_not_held_back_by_the_publish_pause(monkeypatch):
    # given
    delivery = OutboxDeliveryFactory(next_attempt_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(events, "_enqueue_paused_until", time.monotonic() + 60)

    # when
    sent = services.outbox_relay()

    # then
    assert sent == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED


# --- concurrency (PostgreSQL row locks) ---------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_handled_does_not_hold_back_the_same_events_other_deliveries(
    postgres_required, subscribers
):
    # given: one delivery of an event is mid-handler in another worker (thread)
    started, release = threading.Event(), threading.Event()

    def slow(event: ProbePinged) -> None:
        started.set()
        release.wait(timeout=10)

    subscribe(ProbePinged, name="test.slow")(slow)
    slow_delivery = OutboxDeliveryFactory(handler="test.slow")
    other = OutboxDeliveryFactory(event=slow_delivery.event)
    outcome: dict = {}

    def other_worker() -> None:
        try:
            outcome["slow"] = services.outbox_delivery_attempt(delivery_id=slow_delivery.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert started.wait(timeout=10)

        # when
        delivered = services.outbox_delivery_attempt(delivery_id=other.pk)
    finally:
        release.set()
        thread.join(timeout=10)

    # then
    assert delivered is True
    assert outcome["slow"] is True
    assert ProbeRecord.objects.filter(event_id=other.event_id).count() == 1
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_handled_is_skipped_not_handled_twice(postgres_required, subscribers):
    # given
    started, release = threading.Event(), threading.Event()
    calls: list = []

    def slow(event: ProbePinged) -> None:
        calls.append(event.event_id)
        started.set()
        release.wait(timeout=10)

    subscribers[ProbePinged.event_type] = {RECORD_PING: slow}
    delivery = OutboxDeliveryFactory()
    outcome: dict = {}

    def first_worker() -> None:
        try:
            outcome["first"] = services.outbox_delivery_attempt(delivery_id=delivery.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert started.wait(timeout=10)

        # when
        second = services.outbox_deliver_event(event_id=delivery.event_id)
    finally:
        release.set()
        thread.join(timeout=10)

    # then
    assert second == 0
    assert outcome["first"] is True
    assert len(calls) == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 1
