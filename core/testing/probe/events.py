from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ProbePinged(DomainEvent, name="probe.pinged"):
    note: str


@dataclass(frozen=True, kw_only=True)
class ProbeSlowed(DomainEvent, name="probe.slowed"):
    """Handled slowly, so a test can kill the worker while the handler runs."""

    note: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class ProbeDoomed(DomainEvent, name="probe.doomed"):
    """Handled by killing the worker that handles it (SIGKILL of its own
    process), every time. `marker` is a file each attempt appends a line to;
    `spared_pid` is a process the handler refuses to kill (the test's own)."""

    marker: str
    spared_pid: int


@dataclass(frozen=True, kw_only=True)
class ProbeBenched(DomainEvent, name="probe.benched"):
    """bench/outbox.py's event: two trivial subscribers."""

    n: int


@dataclass(frozen=True, kw_only=True)
class ProbeBatched(DomainEvent, name="probe.batched"):
    """Handled by a handler that takes many events at once; `fail` makes the
    handler raise for any batch holding this event."""

    note: str
    fail: bool = False
