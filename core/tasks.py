"""Thin Celery entry points for the outbox (services do the work)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from core import mailer, services


# Each task also takes never-tried deliveries of other events, up to a batch:
# a queue of one-event tasks drains in batches (bench/outbox.py).
@shared_task(acks_late=True, ignore_result=True)
def deliver_event(event_id: str) -> int:
    return services.outbox_deliver_event(
        event_id=event_id, also_fresh=settings.OUTBOX_BATCH_SIZE - 1
    )


@shared_task(acks_late=True, ignore_result=True)
def deliver_events(event_ids: list[str]) -> int:
    """A batch of events (the relay sends OUTBOX_BATCH_SIZE per task)."""
    return services.outbox_deliver_events(
        event_ids=event_ids, also_fresh=max(0, settings.OUTBOX_BATCH_SIZE - len(event_ids))
    )


@shared_task(acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    return services.outbox_relay()


@shared_task(acks_late=True, ignore_result=True)
def prune_outbox() -> int:
    return services.outbox_prune()


# The lease a claimed email holds (MAIL_SEND_LEASE_SECONDS) must outlast this
# task's hard limit: see core.mailer.email_send.
@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=settings.MAIL_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.MAIL_SEND_SOFT_TIME_LIMIT + 15,
)
def send_email(email_id: int) -> bool:
    return mailer.email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def send_due_emails() -> int:
    return mailer.email_send_due()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def prune_emails() -> int:
    return mailer.emails_prune()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300)
def send_notification_digests() -> int:
    from core.notifications.services import notification_digests_send

    return notification_digests_send()
