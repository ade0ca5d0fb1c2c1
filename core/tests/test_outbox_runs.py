"""Handlers that take many events (subscribe(..., many=True)): the outbox
hands them each run of deliveries it claims together, in one transaction,
and falls back to one delivery at a time when the run cannot be kept."""

from __future__ import annotations

import pytest
from django.db import transaction

from core import services
from core.events import publish
from core.models import OutboxDelivery
from core.testing.probe.events import ProbeBatched, ProbePinged
from core.testing.probe.models import ProbeRecord

pytestmark = pytest.mark.django_db

RECORD_BATCH = "probe.record_batch"


def _publish(*events) -> list:
    with transaction.atomic():
        for event in events:
            publish(event)
    return [event.event_id for event in events]


def _status(event) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event_id=event.event_id)


def test_a_run_of_deliveries_reaches_the_handler_in_one_call_and_all_are_marked_delivered():
    # given
    events = [ProbeBatched(note=f"n{n}") for n in range(5)]
    ids = _publish(*events)

    # when
    delivered = services.outbox_deliver_events(event_ids=ids)

    # then
    assert delivered == 5
    records = ProbeRecord.objects.filter(event_id__in=ids)
    assert sorted(records.values_list("note", flat=True)) == [f"n{n}" for n in range(5)]
    assert set(records.values_list("handled_by_pid", flat=True)) == {5}  # one call of five
    assert all(_status(e).status == OutboxDelivery.Status.DELIVERED for e in events)
    assert all(_status(e).attempts == 1 for e in events)


def test_a_bad_event_in_a_run_fails_alone_and_the_others_are_delivered_one_by_one():
    # given
    good = [ProbeBatched(note=f"good {n}") for n in range(3)]
    bad = ProbeBatched(note="bad", fail=True)
    ids = _publish(good[0], bad, good[1], good[2])

    # when
    delivered = services.outbox_deliver_events(event_ids=ids)

    # then: the run rolled back, then each was tried on its own
    assert delivered == 3
    records = ProbeRecord.objects.filter(event_id__in=ids)
    assert sorted(records.values_list("note", flat=True)) == ["good 0", "good 1", "good 2"]
    assert set(records.values_list("handled_by_pid", flat=True)) == {1}
    failed = _status(bad)
    assert failed.status == OutboxDelivery.Status.PENDING
    assert failed.attempts == 1
    assert "a doomed event is in this batch" in failed.last_error
    assert all(_status(e).status == OutboxDelivery.Status.DELIVERED for e in good)


def test_deliveries_of_other_handlers_in_between_are_delivered_and_do_not_split_the_run():
    # given
    batched = [ProbeBatched(note=f"b{n}") for n in range(4)]
    pings = [ProbePinged(note=f"p{n}") for n in range(3)]
    ids = _publish(batched[0], pings[0], batched[1], pings[1], batched[2], pings[2], batched[3])

    # when
    delivered = services.outbox_deliver_events(event_ids=ids)

    # then
    assert delivered == 7
    batch_sizes = ProbeRecord.objects.filter(
        event_id__in=[e.event_id for e in batched]
    ).values_list("handled_by_pid", flat=True)
    assert list(batch_sizes) == [4] * 4
    assert ProbeRecord.objects.filter(event_id__in=[e.event_id for e in pings]).count() == 3


def test_a_run_with_a_claim_taken_over_by_another_worker_keeps_nothing_of_that_claim():
    # given: claimed here, then one lease ran out and another worker claimed it again
    events = [ProbeBatched(note=f"n{n}") for n in range(3)]
    _publish(*events)
    deliveries = list(
        OutboxDelivery.objects.filter(handler=RECORD_BATCH)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    claims = services._claim(deliveries)
    taken = _status(events[1])
    OutboxDelivery.objects.filter(pk=taken.pk).update(attempts=taken.attempts + 1)

    # when
    delivered = services._deliver_claimed(claims)

    # then: this worker delivered the two it still holds, one at a time
    assert delivered == 2
    assert not ProbeRecord.objects.filter(event_id=events[1].event_id).exists()
    assert _status(events[1]).status == OutboxDelivery.Status.PENDING
    assert _status(events[1]).attempts == 2
    kept = ProbeRecord.objects.filter(event_id__in=[events[0].event_id, events[2].event_id])
    assert set(kept.values_list("handled_by_pid", flat=True)) == {1}


def test_a_single_delivery_reaches_a_many_events_handler_as_a_list_of_one():
    # given
    event = ProbeBatched(note="alone")
    _publish(event)

    # when
    ok = services.outbox_delivery_attempt(delivery_id=_status(event).pk)

    # then
    assert ok
    assert ProbeRecord.objects.get(event_id=event.event_id).handled_by_pid == 1
