from __future__ import annotations

import os
import time

from core.events import subscribe
from core.testing.probe.events import ProbePinged, ProbeSlowed
from core.testing.probe.models import ProbeRecord


@subscribe(ProbePinged)
def record_ping(event: ProbePinged) -> None:
    # Idempotent by the event's id: a second delivery creates nothing.
    ProbeRecord.objects.get_or_create(
        event_id=event.event_id, defaults={"note": event.note, "handled_by_pid": os.getpid()}
    )


@subscribe(ProbeSlowed)
def record_slowly(event: ProbeSlowed) -> None:
    time.sleep(event.seconds)
    ProbeRecord.objects.get_or_create(
        event_id=event.event_id, defaults={"note": event.note, "handled_by_pid": os.getpid()}
    )
