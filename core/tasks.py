"""Thin Celery entry points for the outbox (services do the work)."""

from __future__ import annotations

from celery import shared_task

from core import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_event(event_id: str) -> int:
    return services.outbox_deliver_event(event_id=event_id)


@shared_task(acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    return services.outbox_relay()
