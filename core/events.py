"""The event bus between apps, with a durable outbox (CONVENTIONS §4).

    @dataclass(frozen=True, kw_only=True)
    class OrderPaid(DomainEvent, name="shop.order_paid"):
        order_id: int
        user_id: int | None
        total: str

    publish(OrderPaid(order_id=..., user_id=..., total=str(order.total)))

    @subscribe(OrderPaid, name="loyalty.award_points_for_order")
    def award_points(event: OrderPaid) -> None: ...

`publish()` writes the event and one delivery row per subscriber atomically
(in the caller's transaction, or in one of its own in autocommit); after
commit a Celery task delivers it, and a periodic relay re-sends what was not
delivered. Delivery is at least once: handlers must be idempotent.

Events and handlers are stored under the names they declare, never under
their module paths, so a class or a function can move without orphaning the
rows that name it. A stored payload is read back by `from_outbox()`: a field
added with a default is filled in, a key the class no longer has is ignored,
and a change a default cannot express bumps `version` and `upcast()`s the
older payloads.

Events published inside `quiet()` (demo data) are stored as quiet: every
handler still receives them, whenever and wherever it runs, but no email is
recorded while it handles one (core.mailer.email_record records nothing).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

logger = structlog.get_logger(__name__)

Handler = Callable[[Any], None]

# "app.snake_case_name": lower case, dotted, the app's label first.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

_event_classes: dict[str, type[DomainEvent]] = {}
_subscribers: dict[str, dict[str, Handler]] = {}
_many_handlers: set[Handler] = set()
_quiet: ContextVar[bool] = ContextVar("quiet_events", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Inside: events are published quiet, and no email is recorded. A quiet
    event's handlers run inside `quiet()` too (core.services), so the mail an
    event would cause is never sent, even when a worker delivers it later;
    everything else the handlers do happens as usual. For demo data, whose
    shoppers and orders are made up."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def is_quiet() -> bool:
    return _quiet.get()


def _code_path(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ImproperlyConfigured(
            f"{what} needs a stable name such as 'app.what_happened' (lower case, "
            f"dotted), got {name!r}."
        )
    return name


class PayloadError(TypeError):
    """A stored payload that the event class can no longer be built from."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every event. Subclasses are frozen, kw-only dataclasses whose
    fields are JSON primitives (ids, strings, numbers): events cross process
    boundaries, so they never carry model instances.

    Each subclass declares its stored name, and optionally its payload
    version: `class OrderPaid(DomainEvent, name="shop.order_paid", version=2)`."""

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=timezone.now)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    def __init_subclass__(
        cls, *, name: str | None = None, version: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        # A class re-created from this one (dataclass(slots=True)) keeps the
        # name its dict already holds.
        name = name or cls.__dict__.get("event_type")
        cls.event_type = _check_name(name, f"Event class {_code_path(cls)}")
        if version is not None:
            if not isinstance(version, int) or version < 1:
                raise ImproperlyConfigured(f"{cls.event_type}: version must be an int >= 1.")
            cls.version = version
        registered = _event_classes.get(cls.event_type)
        if registered is not None and _code_path(registered) != _code_path(cls):
            raise ImproperlyConfigured(
                f"Event name {cls.event_type!r} is taken by {_code_path(registered)}; "
                f"{_code_path(cls)} needs another."
            )
        _event_classes[cls.event_type] = cls

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
    def upcast(cls, payload: dict[str, Any], *, version: int) -> dict[str, Any]:
        """Turn a payload stored at an older `version` into one of the
        current version. Override when a change needs more than a field
        default (a field renamed, split, or computed from others)."""
        return payload

    @classmethod
    def from_outbox(
        cls,
        *,
        event_id: uuid.UUID,
        occurred_at: datetime,
        payload: dict[str, Any],
        version: int = 1,
    ):
        """The event as stored, read by the current code: older payloads are
        upcast, fields missing from the row take their defaults, and keys the
        class no longer declares are ignored."""
        if version < cls.version:
            payload = cls.upcast(dict(payload), version=version)
        fields = {
            field.name: field
            for field in dataclasses.fields(cls)
            if field.init and field.name not in {"event_id", "occurred_at"}
        }
        missing = [
            name
            for name, field in fields.items()
            if name not in payload
            and field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise PayloadError(
                f"{cls.event_type} (stored at version {version}, code at version "
                f"{cls.version}) lacks {', '.join(missing)}: give the field a default, "
                "or bump the event's version and upcast() the older payloads."
            )
        ignored = sorted(set(payload) - set(fields))
        if ignored:
            logger.info("event_payload_keys_ignored", event_type=cls.event_type, keys=ignored)
        return cls(
            event_id=event_id,
            occurred_at=occurred_at,
            **{name: value for name, value in payload.items() if name in fields},
        )


def event_class_for(event_type: str) -> type[DomainEvent]:
    try:
        return _event_classes[event_type]
    except KeyError:
        raise LookupError(f"No event class is registered as {event_type!r}.") from None


def registered_event_classes() -> dict[str, type[DomainEvent]]:
    return dict(_event_classes)


def subscribe[E: DomainEvent](
    event_class: type[E], *, name: str, many: bool = False
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register the decorated function as the handler `name` of
    `event_class`. Deliveries are stored under `name`: keep it when the
    function moves or is renamed. Handlers live in an app's handlers.py,
    which core imports at start-up.

    `many=True`: the function takes a list of events instead of one. The
    outbox hands it each run of due deliveries it claims together, in one
    transaction (a handler that writes per member can then lock, read and
    write once per run instead of once per event); if it raises, each event
    of the run is delivered again on its own, so one bad event fails alone."""
    _check_name(name, f"A handler of {event_class.event_type}")

    def decorator(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        handlers = _subscribers.setdefault(event_class.event_type, {})
        registered = handlers.get(name)
        if registered is not None and _code_path(registered) != _code_path(fn):
            raise ImproperlyConfigured(
                f"Handler name {name!r} of {event_class.event_type} is taken by "
                f"{_code_path(registered)}; {_code_path(fn)} needs another."
            )
        handlers[name] = fn
        if many:
            _many_handlers.add(fn)
        return fn

    return decorator


def handles_many(handler: Handler) -> bool:
    """Whether `handler` takes a list of events (`subscribe(..., many=True)`)."""
    return handler in _many_handlers


def handle(handler: Handler, events: Sequence[DomainEvent]) -> None:
    """Run `handler` on `events`: all at once when it takes a list, else one
    by one."""
    if handles_many(handler):
        handler(list(events))
    else:
        for event in events:
            handler(event)


def subscribers_of(event_type: str) -> dict[str, Handler]:
    return dict(_subscribers.get(event_type, {}))


def find_handler(event_type: str, name: str) -> Handler | None:
    return _subscribers.get(event_type, {}).get(name)


def code_paths() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Where each registered event class and handler lives in the code now:
    ({class path: event name}, {(event name, function path): handler name}).
    The stored-names migration maps rows written under module paths with it."""
    event_names = {_code_path(cls): name for name, cls in _event_classes.items()}
    handler_names = {
        (event_type, _code_path(fn)): name
        for event_type, handlers in _subscribers.items()
        for name, fn in handlers.items()
    }
    return event_names, handler_names


def publish(event: DomainEvent) -> None:
    """Record `event` in the outbox: the event and its deliveries are written
    together or not at all, in the caller's transaction (or in a transaction
    of their own when called in autocommit, e.g. from allauth's signals).

    If the transaction rolls back, the event is never delivered. After it
    commits, delivery is attempted at once; if the broker cannot be reached
    the periodic relay delivers it later."""
    from core.models import OutboxDelivery, OutboxEvent

    payload = event.to_payload()
    handlers = subscribers_of(event.event_type)
    # savepoint=False: inside the caller's transaction a failure here dooms
    # that transaction too, so its change can never commit without its event.
    with transaction.atomic(savepoint=False):
        outbox_event = OutboxEvent.objects.create(
            id=event.event_id,
            event_type=event.event_type,
            version=event.version,
            payload=payload,
            created_at=event.occurred_at,
            quiet=is_quiet(),
        )
        if not handlers:
            return
        # With OUTBOX_ENQUEUE_ON_PUBLISH off (high volume), no task per event:
        # the deliveries are due at once and the relay sends them in batches.
        # Nor for a quiet one: seed_demo delivers its own events once its
        # seeders have run, instead of one task each for the worker to log.
        # A running worker's relay leaves them to it for a lease (delivered
        # while the next seeders' transactions are open, they deadlock with
        # them) and sends any it left after that.
        enqueue = settings.OUTBOX_ENQUEUE_ON_PUBLISH and not is_quiet()
        first_attempt = timezone.now()
        if enqueue:
            first_attempt += timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS)
        elif is_quiet():
            first_attempt += timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        OutboxDelivery.objects.bulk_create(
            [
                OutboxDelivery(event=outbox_event, handler=name, next_attempt_at=first_attempt)
                for name in handlers
            ]
        )
        if enqueue:
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
    return enqueue_deliveries([event_id], force=force)


def enqueue_deliveries(event_ids: Sequence[uuid.UUID | str], *, force: bool = False) -> bool:
    """Hand these events to one worker task (`deliver_events` for more than
    one), on the same terms as `enqueue_delivery`."""
    global _enqueue_paused_until
    from core.tasks import deliver_event, deliver_events

    ids = [str(event_id) for event_id in event_ids]
    if not ids:
        return True
    if not force and time.monotonic() < _enqueue_paused_until:
        logger.info("event_enqueue_paused", event_ids=ids)
        return False
    try:
        if len(ids) == 1:
            deliver_event.apply_async(args=[ids[0]], retry=False)
        else:
            deliver_events.apply_async(args=[ids], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "later"
        if isinstance(exc, OSError | KombuOperationalError):
            _enqueue_paused_until = time.monotonic() + ENQUEUE_PAUSE_SECONDS
        logger.warning("event_enqueue_failed", event_ids=ids, error=repr(exc))
        return False
    return True
