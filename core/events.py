"""The event bus between apps, with a durable outbox (CONVENTIONS §4).

    @dataclass(frozen=True, kw_only=True)
    class OrderPaid(DomainEvent):
        order_id: int
        user_id: int | None
        total: str

    publish(OrderPaid(order_id=..., user_id=..., total=str(order.total)))

    @subscribe(OrderPaid)
    def award_points(event: OrderPaid) -> None: ...

`publish()` writes the event and one delivery row per subscriber in the
caller's transaction; after commit a Celery task delivers it, and a periodic
relay re-sends what was not delivered. Delivery is at least once: handlers
must be idempotent.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as KombuOperationalError

logger = structlog.get_logger(__name__)

Handler = Callable[[Any], None]

_subscribers: dict[str, dict[str, Handler]] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. Subclasses are frozen, kw-only dataclasses whose
    fields are JSON primitives (ids, strings, numbers): events cross process
    boundaries, so they never carry model instances."""

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=timezone.now)

    event_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.event_type = f"{cls.__module__}.{cls.__qualname__}"

    def to_payload(self) -> dict[str, Any]:
        data = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in {"event_id", "occurred_at"}
        }
        # Fails loudly at publish time, not in a worker, if a field is not JSON.
        json.dumps(data)
        return data

    @classmethod
    def from_outbox(cls, *, event_id: uuid.UUID, occurred_at: datetime, payload: dict):
        return cls(event_id=event_id, occurred_at=occurred_at, **payload)


def handler_name(fn: Handler) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def subscribe[E: DomainEvent](
    event_class: type[E],
) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Register the decorated function as a handler of `event_class`.
    Handlers live in an app's handlers.py, which core imports at start-up."""

    def decorator(fn: Callable[[E], None]) -> Callable[[E], None]:
        _subscribers.setdefault(event_class.event_type, {})[handler_name(fn)] = fn
        return fn

    return decorator


def subscribers_of(event_type: str) -> dict[str, Handler]:
    return dict(_subscribers.get(event_type, {}))


def find_handler(event_type: str, name: str) -> Handler | None:
    return _subscribers.get(event_type, {}).get(name)


def event_class_for(event_type: str) -> type[DomainEvent]:
    return import_string(event_type)


def publish(event: DomainEvent) -> None:
    """Record `event` in the outbox, in the current transaction.

    If the transaction rolls back, the event is never delivered. After it
    commits, delivery is attempted at once; if the broker cannot be reached
    the periodic relay delivers it later."""
    from core.models import OutboxDelivery, OutboxEvent

    payload = event.to_payload()
    handlers = subscribers_of(event.event_type)
    outbox_event = OutboxEvent.objects.create(
        id=event.event_id,
        event_type=event.event_type,
        payload=payload,
        created_at=event.occurred_at,
    )
    if not handlers:
        return
    first_retry = timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS)
    OutboxDelivery.objects.bulk_create(
        [
            OutboxDelivery(event=outbox_event, handler=name, next_attempt_at=first_retry)
            for name in handlers
        ]
    )
    transaction.on_commit(partial(enqueue_delivery, event.event_id), robust=True)
    logger.info("event_published", event_type=event.event_type, event_id=str(event.event_id))


# After a broker failure, publishes skip the broker for a while and leave their
# events to the relay: a hung broker costs one request one socket timeout, not
# every request (nor every event of a request) one timeout each.
ENQUEUE_PAUSE_SECONDS = 10.0
_enqueue_paused_until = 0.0


def enqueue_delivery(event_id: uuid.UUID, *, force: bool = False) -> bool:
    """Hand the event to a worker. Never raises and never blocks for long:
    a broker that is down or hangs leaves the event to the relay.

    `force` ignores the pause that follows a broker failure (the relay)."""
    global _enqueue_paused_until
    from core.tasks import deliver_event

    if not force and time.monotonic() < _enqueue_paused_until:
        logger.info("event_enqueue_paused", event_id=str(event_id))
        return False
    try:
        deliver_event.apply_async(args=[str(event_id)], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "later"
        if isinstance(exc, OSError | KombuOperationalError):
            _enqueue_paused_until = time.monotonic() + ENQUEUE_PAUSE_SECONDS
        logger.warning("event_enqueue_failed", event_id=str(event_id), error=repr(exc))
        return False
    return True
