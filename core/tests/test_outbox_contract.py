"""The outbox's guarantees for a busy consumer: attempts counted before the
handler runs, a relay that queues each due event once, an atomic publish,
stable names, stored payloads read by newer code, batched delivery."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core import events, services
from core.events import DomainEvent, PayloadError, publish, subscribe
from core.models import OutboxDelivery, OutboxEvent
from core.tasks import deliver_event, deliver_events
from core.testing.probe.events import ProbePinged
from core.testing.probe.models import ProbeRecord
from core.tests.factories import OutboxDeliveryFactory, OutboxEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event_classes(monkeypatch) -> dict:
    """A private copy of the event-class registry."""
    registry = dict(events._event_classes)
    monkeypatch.setattr(events, "_event_classes", registry)
    return registry


def _expire(delivery_pk: int) -> None:
    """Let the delivery's lease (or backoff) run out."""
    OutboxDelivery.objects.filter(pk=delivery_pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


class WorkerDied(BaseException):
    """Escapes every `except Exception`, as a killed process would."""


# --- an attempt is counted before its handler runs -------------------------------------


def test_an_attempt_is_counted_and_committed_before_the_handler_runs(subscribers):
    # given
    seen: list = []

    def look(event: ProbePinged) -> None:
        seen.append(OutboxDelivery.objects.get(event_id=event.event_id).attempts)

    subscribers[ProbePinged.event_type] = {"test.look": look}
    delivery = OutboxDeliveryFactory(handler="test.look")

    # when
    services.outbox_deliver_event(event_id=delivery.event_id)

    # then
    assert seen == [1]
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 1


def test_a_handler_that_kills_its_worker_uses_up_its_attempts_and_ends_dead(subscribers, settings):
    # given
    settings.OUTBOX_MAX_ATTEMPTS = 3
    runs: list = []

    def die(event: ProbePinged) -> None:
        runs.append(event.event_id)
        ProbeRecord.objects.create(event_id=uuid.uuid4(), note="lost", handled_by_pid=0)
        raise WorkerDied

    subscribers[ProbePinged.event_type] = {"test.die": die}
    delivery = OutboxDeliveryFactory(handler="test.die")

    # when: each attempt "kills the worker"; the relay tries again after the lease
    for _ in range(5):
        with contextlib.suppress(WorkerDied):
            services.outbox_deliver_event(event_id=delivery.event_id)
        _expire(delivery.pk)

    # then
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DEAD
    assert delivery.attempts == 3
    assert len(runs) == 3
    assert "never finished" in delivery.last_error
    assert not ProbeRecord.objects.exists()


def test_a_claimed_delivery_is_not_attempted_again_before_its_lease_runs_out(subscribers, settings):
    # given: a worker claimed the delivery and died before reporting
    settings.OUTBOX_LEASE_SECONDS = 300
    calls: list = []
    subscribers[ProbePinged.event_type] = {"test.calls": calls.append}
    delivery = OutboxDeliveryFactory(handler="test.calls")
    claimed = services._claim([delivery.pk])
    assert [c.attempt for c in claimed] == [1]

    # when
    delivered = services.outbox_deliver_event(event_id=delivery.event_id)
    relayed = services.outbox_relay()

    # then
    assert delivered == 0
    assert relayed == 0
    assert calls == []
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=290)


def test_a_worker_whose_lease_was_taken_over_does_not_run_the_handler(subscribers):
    # given: worker A claimed attempt 1, its lease ran out, worker B claimed attempt 2
    calls: list = []
    subscribers[ProbePinged.event_type] = {"test.calls": calls.append}
    delivery = OutboxDeliveryFactory(handler="test.calls")
    [first] = services._claim([delivery.pk])
    _expire(delivery.pk)
    [second] = services._claim([delivery.pk])

    # when
    stale = services._attempt(first)
    current = services._attempt(second)

    # then
    assert (stale, current) == (False, True)
    assert len(calls) == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED
    assert delivery.attempts == 2


# --- the relay queues each due event once --------------------------------------------


def test_two_relay_ticks_in_a_row_enqueue_each_due_event_once(monkeypatch):
    # given
    sent: list = []
    monkeypatch.setattr(deliver_event, "apply_async", lambda args, **kw: sent.append(args[0]))
    monkeypatch.setattr(deliver_events, "apply_async", lambda args, **kw: sent.extend(args[0]))
    past = timezone.now() - timedelta(seconds=30)
    due = [OutboxDeliveryFactory(next_attempt_at=past, attempts=1) for _ in range(3)]

    # when
    first_tick = services.outbox_relay()
    second_tick = services.outbox_relay()

    # then
    assert (first_tick, second_tick) == (3, 0)
    assert sorted(sent) == sorted(str(d.event_id) for d in due)


def test_a_relayed_event_is_sent_again_once_its_hold_runs_out(monkeypatch):
    # given: the task the relay queued was lost
    sent: list = []
    monkeypatch.setattr(deliver_event, "apply_async", lambda args, **kw: sent.append(args[0]))
    delivery = OutboxDeliveryFactory(next_attempt_at=timezone.now() - timedelta(seconds=30))
    services.outbox_relay()

    # when
    OutboxEvent.objects.update(queued_until=timezone.now() - timedelta(seconds=1))
    again = services.outbox_relay()

    # then
    assert again == 1
    assert sent == [str(delivery.event_id)] * 2


def test_a_worker_lifts_the_hold_so_a_failed_delivery_is_retried_after_its_backoff(
    subscribers, settings
):
    # given
    settings.OUTBOX_LEASE_SECONDS = 300

    def fail(event: ProbePinged) -> None:
        raise RuntimeError("try later")

    subscribers[ProbePinged.event_type] = {"test.fail": fail}
    delivery = OutboxDeliveryFactory(
        handler="test.fail", attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=5)
    )

    # when: the relay sends it (eagerly run here), the handler fails again
    services.outbox_relay()

    # then: the backoff alone decides the next attempt
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.status == OutboxDelivery.Status.PENDING
    assert OutboxEvent.objects.get(pk=delivery.event_id).queued_until is None
    _expire(delivery.pk)
    assert services.outbox_due_event_ids() == [delivery.event_id]


def test_a_broker_failure_leaves_the_event_unheld_for_the_next_tick(monkeypatch):
    # given
    def broker_down(args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(deliver_event, "apply_async", broker_down)
    delivery = OutboxDeliveryFactory(next_attempt_at=timezone.now() - timedelta(seconds=30))

    # when
    sent = services.outbox_relay()

    # then
    assert sent == 0
    assert OutboxEvent.objects.get(pk=delivery.event_id).queued_until is None
    assert services.outbox_due_event_ids() == [delivery.event_id]


# --- publish is atomic ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_in_autocommit_writes_no_event_when_its_deliveries_fail(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given: autocommit, as allauth's signals call publish()
    assert connection.get_autocommit()

    def broken_bulk_create(*args, **kwargs):
        raise DatabaseError("the deliveries could not be written")

    monkeypatch.setattr(OutboxDelivery.objects, "bulk_create", broken_bulk_create)
    event = ProbePinged(note="half written")

    # when
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DatabaseError),
    ):
        publish(event)

    # then
    assert callbacks == []
    assert not OutboxEvent.objects.filter(pk=event.event_id).exists()
    assert not OutboxDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_publish_in_autocommit_enqueues_only_after_its_rows_are_committed(monkeypatch):
    # given
    seen: list = []

    def enqueue(event_id, **kwargs):
        # Another connection sees the rows: they were committed first.
        seen.append(OutboxDelivery.objects.filter(event_id=event_id).count())
        return True

    monkeypatch.setattr(events, "enqueue_delivery", enqueue)
    event = ProbePinged(note="autocommit")

    # when
    publish(event)

    # then
    assert seen == [1]
    assert OutboxEvent.objects.filter(pk=event.event_id).exists()


def test_a_failed_publish_dooms_the_callers_transaction(monkeypatch):
    # given
    monkeypatch.setattr(
        OutboxDelivery.objects,
        "bulk_create",
        lambda *a, **kw: (_ for _ in ()).throw(DatabaseError("no deliveries")),
    )

    # when
    with pytest.raises(DatabaseError), transaction.atomic():
        ProbeRecord.objects.create(event_id=uuid.uuid4(), note="the change", handled_by_pid=0)
        # A caller that swallows the error still cannot commit its change.
        with contextlib.suppress(DatabaseError):
            publish(ProbePinged(note="lost"))
        ProbeRecord.objects.count()

    # then
    assert not ProbeRecord.objects.exists()
    assert not OutboxEvent.objects.exists()


# --- stable names -------------------------------------------------------------------------


def test_events_and_deliveries_are_stored_under_declared_names(
    django_capture_on_commit_callbacks,
):
    # given
    event = ProbePinged(note="named")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        publish(event)

    # then
    stored = OutboxEvent.objects.get(pk=event.event_id)
    assert stored.event_type == "probe.pinged"
    assert stored.version == 1
    assert list(stored.deliveries.values_list("handler", flat=True)) == ["probe.record_ping"]


def test_a_handler_moved_to_another_function_takes_over_its_pending_deliveries(subscribers):
    # given: a delivery stored for the handler as it was
    def award_points_v1(event: ProbePinged) -> None:
        raise AssertionError("the old function is gone")

    subscribers[ProbePinged.event_type] = {}
    subscribe(ProbePinged, name="test.award_points")(award_points_v1)
    event = ProbePinged(note="moved")
    with transaction.atomic():
        publish(event)

    # when: the next release has the function elsewhere, under the same name
    received: list = []

    def award_points_moved(event: ProbePinged) -> None:
        received.append(event)

    subscribers[ProbePinged.event_type] = {}
    subscribe(ProbePinged, name="test.award_points")(award_points_moved)
    delivered = services.outbox_deliver_event(event_id=event.event_id)

    # then
    assert delivered == 1
    assert received == [event]
    assert OutboxDelivery.objects.get(event_id=event.event_id).handler == "test.award_points"


def test_an_event_class_moved_elsewhere_reads_the_rows_stored_under_its_name(
    subscribers, event_classes
):
    # given: a row stored by the class as it was
    stored = OutboxEventFactory(event_type="test.points_adjusted", payload={"points": 5})
    OutboxDeliveryFactory(event=stored, handler="test.received")
    del event_classes["probe.pinged"]  # unrelated; the registry is private here

    # when: the class now lives in another module under the same name
    @dataclass(frozen=True, kw_only=True)
    class PointsAdjustedMoved(DomainEvent, name="test.points_adjusted"):
        points: int

    received: list = []
    subscribe(PointsAdjustedMoved, name="test.received")(received.append)
    services.outbox_deliver_event(event_id=stored.pk)

    # then
    assert [(type(e), e.points, e.event_id) for e in received] == [
        (PointsAdjustedMoved, 5, stored.pk)
    ]


def test_an_event_class_without_a_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="stable name"):

        @dataclass(frozen=True, kw_only=True)
        class Unnamed(DomainEvent):
            note: str


def test_two_event_classes_cannot_share_a_name(event_classes):
    with pytest.raises(ImproperlyConfigured, match="is taken by"):

        @dataclass(frozen=True, kw_only=True)
        class Impostor(DomainEvent, name="probe.pinged"):
            note: str


def test_two_handlers_of_an_event_cannot_share_a_name(subscribers):
    # given
    subscribe(ProbePinged, name="test.one")(lambda event: None)

    # when / then
    def another(event: ProbePinged) -> None: ...

    with pytest.raises(ImproperlyConfigured, match="is taken by"):
        subscribe(ProbePinged, name="test.one")(another)
    with pytest.raises(ImproperlyConfigured, match="stable name"):
        subscribe(ProbePinged, name="Not A Name")(another)


def test_the_migration_renames_rows_stored_under_module_paths():
    # given: rows as the previous release wrote them
    migration = importlib.import_module("core.migrations.0003_outbox_names")
    placed = OutboxEventFactory(event_type="shop.events.OrderPlaced", payload={})
    ping = OutboxEventFactory(event_type="core.testing.probe.events.ProbePinged")
    unknown = OutboxEventFactory(event_type="gone.events.Whatever")
    deliveries = [
        OutboxDeliveryFactory(event=placed, handler="shop.handlers.email_order_placed"),
        OutboxDeliveryFactory(event=ping, handler="core.testing.probe.handlers.record_ping"),
        OutboxDeliveryFactory(event=unknown, handler="gone.handlers.whatever"),
    ]

    # when
    migration.names_from_paths(django_apps, None)

    # then
    types = {e.pk: e.event_type for e in OutboxEvent.objects.all()}
    assert types == {
        placed.pk: "shop.order_placed",
        ping.pk: "probe.pinged",
        unknown.pk: "gone.events.Whatever",
    }
    handlers = [OutboxDelivery.objects.get(pk=d.pk).handler for d in deliveries]
    assert handlers == ["shop.email_order_placed", "probe.record_ping", "gone.handlers.whatever"]

    # when: and back
    migration.paths_from_names(django_apps, None)

    # then
    assert OutboxEvent.objects.get(pk=ping.pk).event_type == (
        "core.testing.probe.events.ProbePinged"
    )
    assert OutboxDelivery.objects.get(pk=deliveries[1].pk).handler == (
        "core.testing.probe.handlers.record_ping"
    )


def test_the_migration_maps_every_registered_event_and_handler():
    # given
    migration = importlib.import_module("core.migrations.0003_outbox_names")
    event_names, handler_names = events.code_paths()

    # then: the fixed tables agree with the code as it stands
    for path, name in migration.EVENT_NAMES.items():
        assert event_names.get(path, name) == name
    paths = {path: name for (_event, path), name in handler_names.items()}
    for path, name in migration.HANDLER_NAMES.items():
        assert paths.get(path, name) == name


# --- stored payloads read by newer code -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LedgerTouched(DomainEvent, name="test.ledger_touched"):
    user_id: int
    points: int
    # Added after rows were stored without it.
    reason: str = "purchase"
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class LedgerMoved(DomainEvent, name="test.ledger_moved", version=3):
    """v1 stored {"user": id, "amount": n}; v2 renamed "user" to "user_id";
    v3 renamed "amount" to "points"."""

    user_id: int
    points: int

    @classmethod
    def upcast(cls, payload: dict, *, version: int) -> dict:
        if version < 2:
            payload["user_id"] = payload.pop("user")
        if version < 3:
            payload["points"] = payload.pop("amount")
        return payload


def test_fields_added_with_defaults_are_filled_in_and_unknown_keys_ignored():
    # given: a row from before `reason` and `tags`, with a key since removed
    stored = {"user_id": 7, "points": 40, "campaign": "removed since"}
    event_id, occurred_at = uuid.uuid4(), timezone.now()

    # when
    event = LedgerTouched.from_outbox(event_id=event_id, occurred_at=occurred_at, payload=stored)

    # then
    assert event == LedgerTouched(
        event_id=event_id, occurred_at=occurred_at, user_id=7, points=40, reason="purchase"
    )
    assert event.tags == []


def test_older_payload_versions_are_upcast():
    # given
    event_id, occurred_at = uuid.uuid4(), timezone.now()

    # when
    from_v1 = LedgerMoved.from_outbox(
        event_id=event_id, occurred_at=occurred_at, payload={"user": 3, "amount": 9}, version=1
    )
    from_v2 = LedgerMoved.from_outbox(
        event_id=event_id, occurred_at=occurred_at, payload={"user_id": 3, "amount": 9}, version=2
    )
    current = LedgerMoved.from_outbox(
        event_id=event_id, occurred_at=occurred_at, payload={"user_id": 3, "points": 9}, version=3
    )

    # then
    assert from_v1 == from_v2 == current
    assert (current.user_id, current.points) == (3, 9)


def test_a_stored_v1_row_is_delivered_to_a_handler_of_the_v3_class(subscribers):
    # given
    received: list = []
    subscribe(LedgerMoved, name="test.received")(received.append)
    stored = OutboxEventFactory(
        event_type="test.ledger_moved", version=1, payload={"user": 3, "amount": 9}
    )
    OutboxDeliveryFactory(event=stored, handler="test.received")

    # when
    delivered = services.outbox_deliver_event(event_id=stored.pk)

    # then
    assert delivered == 1
    assert [(e.user_id, e.points) for e in received] == [(3, 9)]


def test_publish_stores_the_classes_payload_version():
    # given
    event = LedgerMoved(user_id=1, points=2)

    # when
    with transaction.atomic():
        publish(event)

    # then
    stored = OutboxEvent.objects.get(pk=event.event_id)
    assert (stored.version, stored.payload) == (3, {"user_id": 1, "points": 2})


def test_a_payload_missing_a_field_without_default_fails_its_delivery_clearly(subscribers):
    # given
    received: list = []
    subscribe(LedgerTouched, name="test.received")(received.append)
    stored = OutboxEventFactory(event_type="test.ledger_touched", payload={"points": 1})
    delivery = OutboxDeliveryFactory(event=stored, handler="test.received")

    # when
    delivered = services.outbox_deliver_event(event_id=stored.pk)

    # then
    assert delivered == 0
    assert received == []
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.PENDING
    assert "PayloadError" in delivery.last_error
    assert "lacks user_id" in delivery.last_error
    with pytest.raises(PayloadError):
        LedgerTouched.from_outbox(
            event_id=uuid.uuid4(), occurred_at=timezone.now(), payload={}, version=1
        )


# --- batched delivery ----------------------------------------------------------------------


def test_a_batch_task_delivers_every_event_each_delivery_in_its_own_transaction(subscribers):
    # given: ten events, one handler failing on one of them
    bad = ProbePinged(note="bad")

    def picky(event: ProbePinged) -> None:
        if event.event_id == bad.event_id:
            raise RuntimeError("not this one")
        ProbeRecord.objects.create(event_id=uuid.uuid4(), note="picky", handled_by_pid=0)

    subscribe(ProbePinged, name="test.picky")(picky)
    pending = [ProbePinged(note=f"batch {n}") for n in range(9)] + [bad]
    with transaction.atomic():
        for event in pending:
            publish(event)

    # when
    delivered = deliver_events.apply(args=[[str(e.event_id) for e in pending]]).get()

    # then
    assert delivered == 19
    assert ProbeRecord.objects.filter(note="picky").count() == 9
    assert ProbeRecord.objects.exclude(note="picky").count() == 10
    failed = OutboxDelivery.objects.get(event_id=bad.event_id, handler="test.picky")
    assert failed.status == OutboxDelivery.Status.PENDING
    assert failed.attempts == 1
    assert "not this one" in failed.last_error
    assert OutboxDelivery.objects.filter(status=OutboxDelivery.Status.DELIVERED).count() == 19


def test_the_relay_sends_due_events_in_batches_of_the_configured_size(monkeypatch, settings):
    # given
    settings.OUTBOX_BATCH_SIZE = 2
    batches: list = []
    singles: list = []
    monkeypatch.setattr(deliver_events, "apply_async", lambda args, **kw: batches.append(args[0]))
    monkeypatch.setattr(deliver_event, "apply_async", lambda args, **kw: singles.append(args[0]))
    past = timezone.now() - timedelta(seconds=30)
    due = [OutboxDeliveryFactory(next_attempt_at=past - timedelta(seconds=n)) for n in range(5)]

    # when
    sent = services.outbox_relay()

    # then
    assert sent == 5
    oldest_first = [str(d.event_id) for d in reversed(due)]
    assert batches == [oldest_first[0:2], oldest_first[2:4]]
    assert singles == [oldest_first[4]]


def test_a_task_with_work_also_takes_fresh_deliveries_of_other_events(subscribers):
    # given
    received: list = []
    subscribers[ProbePinged.event_type] = {"test.received": received.append}
    own = OutboxDeliveryFactory(handler="test.received")
    fresh = OutboxDeliveryFactory(handler="test.received")
    backing_off = OutboxDeliveryFactory(
        handler="test.received", attempts=1, next_attempt_at=timezone.now() - timedelta(1)
    )

    # when
    delivered = services.outbox_deliver_event(event_id=own.event_id, also_fresh=10)

    # then: a retry waits for its own event's task (or the relay)
    assert delivered == 2
    assert {e.event_id for e in received} == {own.event_id, fresh.event_id}
    backing_off.refresh_from_db()
    assert (backing_off.status, backing_off.attempts) == (OutboxDelivery.Status.PENDING, 1)


def test_a_task_whose_event_is_done_still_takes_fresh_work(
    subscribers, django_assert_max_num_queries
):
    # given
    received: list = []
    subscribers[ProbePinged.event_type] = {"test.received": received.append}
    done = OutboxDeliveryFactory(handler="test.received", status=OutboxDelivery.Status.DELIVERED)
    waiting = OutboxDeliveryFactory(handler="test.received")

    # when
    delivered = deliver_event.apply(args=[str(done.event_id)]).get()

    # then
    assert delivered == 1
    assert [e.event_id for e in received] == [waiting.event_id]

    # when nothing is left: two small queries
    with django_assert_max_num_queries(2):
        again = deliver_event.apply(args=[str(done.event_id)]).get()

    # then
    assert again == 0


def test_a_poison_delivery_in_a_batch_costs_its_neighbours_one_attempt_once(subscribers, settings):
    # given: five fresh deliveries claimed together; the third kills its worker
    settings.OUTBOX_MAX_ATTEMPTS = 3
    received: list = []
    poison = ProbePinged(note="poison")

    def handle(event: ProbePinged) -> None:
        if event.event_id == poison.event_id:
            raise WorkerDied
        received.append(event.note)

    subscribers[ProbePinged.event_type] = {"test.handle": handle}
    pending = [ProbePinged(note=f"n{n}") for n in range(2)]
    pending += [poison] + [ProbePinged(note=f"n{n}") for n in range(2, 4)]
    with transaction.atomic():
        for event in pending:
            publish(event)
    ids = [e.event_id for e in pending]

    # when: the batch, then the relay after each lease, until nothing is left
    for _ in range(6):
        with contextlib.suppress(WorkerDied):
            services.outbox_deliver_events(event_ids=ids)
        OutboxDelivery.objects.filter(status=OutboxDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    # then: the crash undid the group it was in (first attempts commit
    # together, OUTBOX_COMMIT_GROUP), so its neighbours were delivered on
    # their second attempt, once; the poison alone ends dead
    deliveries = {
        d.event_id: (d.status, d.attempts)
        for d in OutboxDelivery.objects.filter(event_id__in=ids, handler="test.handle")
    }
    assert deliveries == {
        ids[0]: (OutboxDelivery.Status.DELIVERED, 2),
        ids[1]: (OutboxDelivery.Status.DELIVERED, 2),
        ids[2]: (OutboxDelivery.Status.DEAD, 3),
        ids[3]: (OutboxDelivery.Status.DELIVERED, 2),
        ids[4]: (OutboxDelivery.Status.DELIVERED, 2),
    }
    # (n0 and n1 ran twice: their first run was rolled back with the group)
    assert sorted(set(received)) == ["n0", "n1", "n2", "n3"]


def test_a_task_out_of_time_records_its_attempt_and_stops(subscribers):
    # given
    from celery.exceptions import SoftTimeLimitExceeded

    calls: list = []

    def slow(event: ProbePinged) -> None:
        calls.append(event.event_id)
        raise SoftTimeLimitExceeded

    subscribers[ProbePinged.event_type] = {"test.slow": slow}
    first, second = (
        OutboxDeliveryFactory(handler="test.slow"),
        OutboxDeliveryFactory(handler="test.slow"),
    )

    # when
    with pytest.raises(SoftTimeLimitExceeded):
        services.outbox_deliver_events(event_ids=[first.event_id, second.event_id])

    # then: the first failed and backs off; the second keeps its lease untouched
    first.refresh_from_db()
    second.refresh_from_db()
    assert len(calls) == 1
    assert (first.attempts, first.status) == (1, OutboxDelivery.Status.PENDING)
    assert "SoftTimeLimitExceeded" in first.last_error
    assert (second.attempts, second.last_error) == (1, "")


@pytest.mark.services
@pytest.mark.parametrize(("synchronous", "expected"), [(True, 0), (False, 1)])
def test_synchronous_commit_can_be_relaxed_for_delivery_transactions_only(
    postgres_required, subscribers, settings, synchronous, expected
):
    # given
    from django.test.utils import CaptureQueriesContext

    settings.OUTBOX_SYNCHRONOUS_COMMIT = synchronous
    subscribers[ProbePinged.event_type] = {"test.noop": lambda event: None}
    delivery = OutboxDeliveryFactory(handler="test.noop")

    # when
    with CaptureQueriesContext(connection) as queries:
        services.outbox_deliver_event(event_id=delivery.event_id)

    # then
    relaxed = [q["sql"] for q in queries if "synchronous_commit" in q["sql"]]
    assert relaxed == ["SET LOCAL synchronous_commit TO OFF"] * expected
    delivery.refresh_from_db()
    assert delivery.status == OutboxDelivery.Status.DELIVERED


def test_without_enqueue_on_publish_the_relay_delivers_new_events_in_batches(
    django_capture_on_commit_callbacks, settings, monkeypatch
):
    # given
    settings.OUTBOX_ENQUEUE_ON_PUBLISH = False
    singles: list = []
    monkeypatch.setattr(deliver_event, "apply_async", lambda args, **kw: singles.append(args))
    pending = [ProbePinged(note=f"quiet {n}") for n in range(3)]

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for event in pending:
            publish(event)

    # then: nothing queued, everything due at once
    assert callbacks == []
    assert singles == []
    assert services.outbox_due_event_ids() == [e.event_id for e in pending]

    # when
    relayed = services.outbox_relay()

    # then: one batch task (run eagerly here)
    assert relayed == 3
    assert singles == []
    assert ProbeRecord.objects.filter(event_id__in=[e.event_id for e in pending]).count() == 3


def test_quiet_events_are_left_to_seed_demo_which_delivers_them_in_order(subscribers):
    # given: two events of the demo data, and one of a real shopper's
    seen: list = []
    subscribers[ProbePinged.event_type] = {"test.seen": lambda event: seen.append(event.note)}
    with events.quiet():
        first, second = ProbePinged(note="first"), ProbePinged(note="second")
        publish(first)
        publish(second)
    loud = OutboxDeliveryFactory(handler="test.seen")

    # then: a running worker's relay leaves the quiet ones alone for a lease
    assert services.outbox_due_event_ids() == [loud.event_id]

    # when
    delivered = services.outbox_deliver_quiet()

    # then: the quiet ones are delivered, oldest first; the real one waits
    assert delivered == 2
    assert seen == ["first", "second"]
    assert not OutboxDelivery.objects.filter(
        event_id__in=[first.event_id, second.event_id], status=OutboxDelivery.Status.PENDING
    ).exists()
    loud.refresh_from_db()
    assert loud.status == OutboxDelivery.Status.PENDING
    assert loud.attempts == 0
    assert services.outbox_deliver_quiet() == 0


def test_a_quiet_event_seed_demo_left_is_relayed_after_its_lease(subscribers):
    # given: a demo load that stopped before delivering its events
    subscribers[ProbePinged.event_type] = {"test.noop": lambda event: None}
    with events.quiet():
        left = ProbePinged(note="left")
        publish(left)
    assert services.outbox_due_event_ids() == []

    # when: the lease runs out
    _expire(OutboxDelivery.objects.get(event_id=left.event_id).pk)

    # then
    assert services.outbox_due_event_ids() == [left.event_id]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("group", "transactions"), [(20, 1), (1, 4)])
def test_first_attempts_commit_together_in_groups(
    postgres_required, subscribers, settings, group, transactions
):
    # given four fresh deliveries, and a handler that notes its transaction
    settings.OUTBOX_COMMIT_GROUP = group
    settings.OUTBOX_ENQUEUE_ON_PUBLISH = False  # delivered below, not on commit
    seen: list[int] = []

    def note_transaction(event: ProbePinged) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            seen.append(cursor.fetchone()[0])

    subscribers[ProbePinged.event_type] = {"test.txid": note_transaction}
    pending = [ProbePinged(note=f"g{n}") for n in range(4)]
    with transaction.atomic():
        for event in pending:
            publish(event)

    # when they are delivered
    delivered = services.outbox_deliver_events(event_ids=[e.event_id for e in pending])

    # then one commit for the group (or one each), every delivery marked
    assert delivered == 4
    assert len(set(seen)) == transactions
    assert (
        OutboxDelivery.objects.filter(
            handler="test.txid", status=OutboxDelivery.Status.DELIVERED
        ).count()
        == 4
    )
