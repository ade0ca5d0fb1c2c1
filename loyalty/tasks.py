"""Thin Celery entry points of the loyalty program."""

from __future__ import annotations

from celery import shared_task

from loyalty.services.ledger import points_release_due


@shared_task(name="loyalty.tasks.release_due_points", acks_late=True)
def release_due_points() -> int:
    """Pending points whose date has come become available (hourly)."""
    return points_release_due()
