from __future__ import annotations

import os
import signal
import time

from core.events import subscribe
from core.testing.probe.events import (
    ProbeBatched,
    ProbeBenched,
    ProbeDoomed,
    ProbePinged,
    ProbeSlowed,
)
from core.testing.probe.models import ProbeRecord


@subscribe(ProbePinged, name="probe.record_ping")
def record_ping(event: ProbePinged) -> None:
    # Idempotent by the event's id: a second delivery creates nothing.
    ProbeRecord.objects.get_or_create(
        event_id=event.event_id, defaults={"note": event.note, "handled_by_pid": os.getpid()}
    )


@subscribe(ProbeSlowed, name="probe.record_slowly")
def record_slowly(event: ProbeSlowed) -> None:
    time.sleep(event.seconds)
    ProbeRecord.objects.get_or_create(
        event_id=event.event_id, defaults={"note": event.note, "handled_by_pid": os.getpid()}
    )


@subscribe(ProbeDoomed, name="probe.kill_the_worker")
def kill_the_worker(event: ProbeDoomed) -> None:
    with open(event.marker, "a") as marker:
        marker.write(f"{os.getpid()}\n")
    if os.getpid() == event.spared_pid:
        raise RuntimeError("ProbeDoomed was delivered in the process that published it")
    os.kill(os.getpid(), signal.SIGKILL)


@subscribe(ProbeBenched, name="probe.bench_noop")
def bench_noop(event: ProbeBenched) -> None:
    """A subscriber with nothing to do."""


@subscribe(ProbeBenched, name="probe.bench_record")
def bench_record(event: ProbeBenched) -> None:
    """One idempotent insert, the shape of a loyalty ledger entry."""
    ProbeRecord.objects.bulk_create(
        [ProbeRecord(event_id=event.event_id, note=f"bench {event.n}", handled_by_pid=0)],
        ignore_conflicts=True,
    )


@subscribe(ProbeBatched, name="probe.record_batch", many=True)
def record_batch(events: list[ProbeBatched]) -> None:
    """Records each event with the size of the batch it came in."""
    if any(event.fail for event in events):
        raise RuntimeError("a doomed event is in this batch")
    ProbeRecord.objects.bulk_create(
        [
            ProbeRecord(event_id=event.event_id, note=event.note, handled_by_pid=len(events))
            for event in events
        ],
        ignore_conflicts=True,
    )
