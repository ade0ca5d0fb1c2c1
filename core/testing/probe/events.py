from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ProbePinged(DomainEvent):
    note: str


@dataclass(frozen=True, kw_only=True)
class ProbeSlowed(DomainEvent):
    """Handled slowly, so a test can kill the worker while the handler runs."""

    note: str
    seconds: float
