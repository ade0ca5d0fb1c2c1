"""Outbox delivery. Called by core.tasks and the admin; nothing else writes
delivery state."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Iterable
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from core.events import enqueue_delivery, event_class_for, find_handler
from core.models import OutboxDelivery

logger = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 3600


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped at an hour."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _attemptable() -> Q:
    """Pending deliveries never tried yet, or whose backoff has run out. A
    delivery that failed waits for its own backoff even when the event is sent
    again for another subscriber."""
    return Q(status=OutboxDelivery.Status.PENDING) & (
        Q(attempts=0) | Q(next_attempt_at__lte=timezone.now())
    )


def outbox_deliver_event(*, event_id: uuid.UUID | str) -> int:
    """Attempt every attemptable delivery of one event; returns how many
    succeeded."""
    delivery_ids = list(
        OutboxDelivery.objects.filter(_attemptable(), event_id=event_id).values_list(
            "pk", flat=True
        )
    )
    return sum(outbox_delivery_attempt(delivery_id=pk) for pk in delivery_ids)


def outbox_delivery_attempt(*, delivery_id: int) -> bool:
    """Run one handler for one event, exactly once per successful commit.

    The delivery row is locked for the whole attempt and the handler runs in
    the same transaction that marks it delivered: a second worker skips the
    locked row, and a crash before commit leaves it pending for the relay."""
    with transaction.atomic():
        # of=("self",): lock the delivery only. Locking the joined event row
        # too would make skip_locked skip the event's other deliveries while
        # one of them is being handled.
        delivery = (
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(_attemptable(), pk=delivery_id)
            .first()
        )
        if delivery is None:
            return False
        outbox_event = delivery.event
        handler = find_handler(outbox_event.event_type, delivery.handler)
        now = timezone.now()
        delivery.attempts += 1
        try:
            if handler is None:
                raise LookupError(f"No handler {delivery.handler} is registered.")
            event = event_class_for(outbox_event.event_type).from_outbox(
                event_id=outbox_event.id,
                occurred_at=outbox_event.created_at,
                payload=outbox_event.payload,
            )
            with transaction.atomic():
                handler(event)
        except Exception:  # noqa: BLE001 - a handler's failure is recorded, not raised
            delivery.last_error = traceback.format_exc(limit=20)[-10_000:]
            if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                delivery.status = OutboxDelivery.Status.DEAD
                logger.error(
                    "event_delivery_dead",
                    handler=delivery.handler,
                    event_id=str(outbox_event.id),
                    attempts=delivery.attempts,
                )
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
                logger.warning(
                    "event_delivery_failed",
                    handler=delivery.handler,
                    event_id=str(outbox_event.id),
                    attempts=delivery.attempts,
                )
            delivery.save(
                update_fields=["attempts", "last_error", "status", "next_attempt_at", "updated_at"]
            )
            return False
        delivery.status = OutboxDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
        delivery.save(
            update_fields=["attempts", "status", "delivered_at", "last_error", "updated_at"]
        )
        return True


def outbox_due_event_ids(*, limit: int = 500) -> list[uuid.UUID]:
    """Events with a due delivery, most overdue first, each once. (DISTINCT
    with an ORDER BY on another column would return an event once per
    distinct next_attempt_at of its deliveries.)"""
    return list(
        OutboxDelivery.objects.filter(
            status=OutboxDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .values("event_id")
        .annotate(first_due=Min("next_attempt_at"))
        .order_by("first_due")
        .values_list("event_id", flat=True)[:limit]
    )


def outbox_relay(*, limit: int = 500) -> int:
    """Re-send every event with a delivery that is due. Returns how many were
    handed to the broker; stops at the first broker failure."""
    sent = 0
    for event_id in outbox_due_event_ids(limit=limit):
        if not enqueue_delivery(event_id, force=True):
            break
        sent += 1
    return sent


@transaction.atomic
def outbox_deliveries_retry(*, deliveries: Iterable[OutboxDelivery]) -> int:
    """Staff action: give dead (or stuck) deliveries a fresh set of attempts."""
    ids = [d.pk for d in deliveries]
    rows = (
        OutboxDelivery.objects.select_for_update()
        .filter(pk__in=ids)
        .exclude(status=OutboxDelivery.Status.DELIVERED)
    )
    event_ids = set(rows.values_list("event_id", flat=True))
    updated = rows.update(
        status=OutboxDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        updated_at=timezone.now(),
    )
    for event_id in event_ids:
        transaction.on_commit(lambda e=event_id: enqueue_delivery(e), robust=True)
    return updated
