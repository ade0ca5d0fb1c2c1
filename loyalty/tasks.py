"""Thin Celery entry points for loyalty (services do the work)."""

from __future__ import annotations

from celery import shared_task

from loyalty.services.early_access import early_access_notify_due


@shared_task(acks_late=True, ignore_result=True)
def notify_early_access() -> int:
    """Beat: tell members a drop opened to them, once per member and drop."""
    return early_access_notify_due()
