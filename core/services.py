"""Outbox delivery. Called by core.tasks and the admin; nothing else writes
delivery state.

An attempt is two transactions:
1. the claim, committed before any handler runs: the attempt is counted and
   the delivery leased (next_attempt_at moved OUTBOX_LEASE_SECONDS ahead), so
   a handler that kills its worker still uses up its attempts and ends dead;
2. the handler, in the transaction that locks the row again and marks it
   delivered, so the handler's writes and the mark commit together. A second
   worker skips the locked row, and finds the claimed one not yet due.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils import timezone

from core.events import (
    DomainEvent,
    enqueue_deliveries,
    enqueue_delivery,
    event_class_for,
    find_handler,
    handle,
    handles_many,
    quiet,
)
from core.models import OutboxDelivery, OutboxEvent

logger = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 3600
# First attempts claimed (and leased) together, in one transaction. A task
# killed mid-chunk costs its unstarted deliveries one attempt each; they are
# retried one by one (see outbox_deliver_events).
CLAIM_CHUNK = 100


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failure, capped at an hour."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def _attemptable() -> Q:
    """Pending deliveries never tried yet, or whose backoff (or lease) has run
    out. A delivery that failed waits for its own backoff even when the event
    is sent again for another subscriber; a claimed one waits for its lease."""
    return Q(status=OutboxDelivery.Status.PENDING) & (
        Q(attempts=0) | Q(next_attempt_at__lte=timezone.now())
    )


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempt: int
    handler: str
    event: OutboxEvent


def outbox_deliver_event(*, event_id: uuid.UUID | str, also_fresh: int = 0) -> int:
    """Attempt every attemptable delivery of one event; returns how many
    succeeded. See outbox_deliver_events for `also_fresh`."""
    return outbox_deliver_events(event_ids=[event_id], also_fresh=also_fresh)


def outbox_deliver_events(*, event_ids: Sequence[uuid.UUID | str], also_fresh: int = 0) -> int:
    """Attempt every attemptable delivery of these events, each handler in
    its own transaction; returns how many succeeded. Lifts the relay's hold
    on the events, so a failed delivery is retried after its own backoff.

    `also_fresh`: take up to that many never-tried deliveries of other
    events too, oldest first. When tasks queue up faster than a worker runs
    them, the first ones deliver in batches and the rest find their events
    done (two small queries each).

    First attempts are claimed CLAIM_CHUNK at a time; a retry is claimed on
    its own, so a handler that kills its worker every time costs the
    deliveries claimed with it one attempt once, not one per kill."""
    candidates = list(
        OutboxDelivery.objects.filter(_attemptable(), event_id__in=event_ids)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    fresh = [pk for pk, attempts in candidates if attempts == 0]
    retries = [pk for pk, attempts in candidates if attempts > 0]
    if also_fresh > 0:
        fresh += list(
            OutboxDelivery.objects.filter(status=OutboxDelivery.Status.PENDING, attempts=0)
            .exclude(pk__in=fresh)
            .order_by("created_at")
            .values_list("pk", flat=True)[:also_fresh]
        )
    delivered = 0
    for start in range(0, len(fresh), CLAIM_CHUNK):
        delivered += _deliver_claimed(_claim(fresh[start : start + CLAIM_CHUNK]))
    for pk in retries:
        for claim in _claim([pk]):
            delivered += _attempt(claim)
    if candidates:
        OutboxEvent.objects.filter(pk__in=event_ids, queued_until__isnull=False).update(
            queued_until=None
        )
    return delivered


def outbox_deliver_quiet(*, batch_size: int = 100) -> int:
    """Deliver every quiet event (demo data, core.events.quiet) whose
    deliveries were never tried, oldest first, in batches of `batch_size`
    events; returns how many deliveries succeeded. Quiet events are not handed
    to the broker when published: `manage.py seed_demo` delivers them itself
    (the relay takes any it leaves)."""
    delivered = 0
    while True:
        event_ids = list(
            OutboxDelivery.objects.filter(
                status=OutboxDelivery.Status.PENDING, attempts=0, event__quiet=True
            )
            .values("event_id")
            .annotate(first=Min("pk"))
            .order_by("first")
            .values_list("event_id", flat=True)[:batch_size]
        )
        if not event_ids:
            return delivered
        done = outbox_deliver_events(event_ids=event_ids)
        delivered += done
        if not done:
            # Every one was claimed elsewhere (a worker's relay) or failed:
            # what is left waits for its lease or backoff, not for this loop.
            return delivered


def outbox_delivery_attempt(*, delivery_id: int) -> bool:
    """Claim and run one delivery, if it is attemptable and not being
    handled elsewhere."""
    return any(_attempt(claim) for claim in _claim([delivery_id]))


def _claim(delivery_ids: Sequence[int]) -> list[_Claim]:
    """Count an attempt of each delivery that is still attemptable and not
    locked by another worker, and lease it, in a transaction of its own. A
    delivery whose attempts are used up (its last attempt never reported:
    its worker died or was killed) is marked dead instead."""
    now = timezone.now()
    with transaction.atomic():
        # of=("self",): lock the deliveries only. Locking the joined event row
        # too would make skip_locked skip the event's other deliveries while
        # one of them is being handled.
        rows = list(
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(_attemptable(), pk__in=delivery_ids)
            .order_by("pk")
        )
        spent = [d for d in rows if d.attempts >= settings.OUTBOX_MAX_ATTEMPTS]
        live = [d for d in rows if d.attempts < settings.OUTBOX_MAX_ATTEMPTS]
        if live:
            OutboxDelivery.objects.filter(pk__in=[d.pk for d in live]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + lease(), updated_at=now
            )
        for delivery in spent:
            OutboxDelivery.objects.filter(pk=delivery.pk).update(
                status=OutboxDelivery.Status.DEAD,
                last_error=(
                    f"Attempt {delivery.attempts} of {settings.OUTBOX_MAX_ATTEMPTS} never "
                    "finished: its worker stopped (killed, out of memory, or past its "
                    "time limit) while the handler ran.\n\n" + delivery.last_error
                )[:10_000],
                updated_at=now,
            )
            logger.error(
                "event_delivery_dead",
                handler=delivery.handler,
                event_id=str(delivery.event_id),
                attempts=delivery.attempts,
                reason="unfinished attempts",
            )
    return [_Claim(d.pk, d.attempts + 1, d.handler, d.event) for d in live]


def _runs(claims: Sequence[_Claim]) -> list[list[_Claim]]:
    """The claims in delivery order, except that the claims of a handler
    that takes many events (`subscribe(..., many=True)`) form one run, at
    the place of its first claim; every other claim is a run of its own.

    So a run may be handled before deliveries of other handlers claimed
    earlier in the chunk. Handlers cannot rely on that order anyway
    (several workers, retries and the relay deliver out of order); each
    handler's own events stay in order."""
    runs: list[list[_Claim]] = []
    open_runs: dict[tuple[str, str, bool], list[_Claim]] = {}
    for claim in claims:
        handler = find_handler(claim.event.event_type, claim.handler)
        if handler is None or not handles_many(handler):
            runs.append([claim])
            continue
        key = (claim.event.event_type, claim.handler, claim.event.quiet)
        run = open_runs.get(key)
        if run is None:
            run = open_runs[key] = []
            runs.append(run)
        run.append(claim)
    return runs


def _deliver_claimed(claims: Sequence[_Claim]) -> int:
    """Deliver claimed first attempts: each run of a many-events handler in
    one transaction, the other deliveries in commit groups."""
    delivered = 0
    group = max(settings.OUTBOX_COMMIT_GROUP, 1)
    singles: list[_Claim] = []

    def flush() -> None:
        nonlocal delivered
        for first in range(0, len(singles), group):
            delivered += _attempt_group(singles[first : first + group])
        singles.clear()

    for run in _runs(claims):
        if len(run) == 1:
            singles.append(run[0])
            continue
        flush()
        delivered += _attempt_run(run)
    flush()
    return delivered


def _event_of(claim: _Claim) -> DomainEvent:
    outbox_event = claim.event
    return event_class_for(outbox_event.event_type).from_outbox(
        event_id=outbox_event.id,
        occurred_at=outbox_event.created_at,
        payload=outbox_event.payload,
        version=outbox_event.version,
    )


class _RunTakenOver(Exception):
    """A claim of the run was taken over by another worker (its lease ran out)."""


def _attempt_run(claims: Sequence[_Claim]) -> int:
    """Run one many-events handler on every claimed delivery of the run, in
    the transaction that marks them all delivered: the handler's writes and
    the marks commit together, as for one delivery. If the handler raises
    (or a claim was taken over meanwhile), nothing of the run is kept and
    each delivery is attempted on its own, so a bad event fails alone and
    the others are delivered."""
    first = claims[0]
    try:
        handler = find_handler(first.event.event_type, first.handler)
        if handler is None:
            raise LookupError(f"No handler {first.handler} is registered.")
        events = [_event_of(claim) for claim in claims]
        with transaction.atomic():
            _relax_commit()
            if not _mark_run_delivered(claims):
                raise _RunTakenOver
            with quiet() if first.event.quiet else nullcontext():
                handler(events)
    except SoftTimeLimitExceeded:
        # Out of time: the run rolled back; its deliveries wait for their
        # leases (their attempts are counted).
        raise
    except Exception as exc:  # noqa: BLE001 - the run falls back to single deliveries
        logger.warning(
            "event_run_failed",
            handler=first.handler,
            deliveries=len(claims),
            error=repr(exc)[:500],
        )
        return sum(_attempt(claim) for claim in claims)
    return len(claims)


def _mark_run_delivered(claims: Sequence[_Claim]) -> bool:
    """Mark every claim of a run delivered, in one statement; False when one
    of them is no longer this worker's (then nothing should be kept)."""
    table = OutboxDelivery._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    matches = " OR ".join(["(id = %s AND attempts = %s)"] * len(claims))
    params: list = [OutboxDelivery.Status.DELIVERED, now, now, OutboxDelivery.Status.PENDING]
    for claim in claims:
        params += [claim.delivery_id, claim.attempt]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, delivered_at = %s, last_error = '', "  # noqa: S608 - table name from the model
            f"updated_at = %s WHERE status = %s AND ({matches})",
            params,
        )
        return cursor.rowcount == len(claims)


def _attempt(claim: _Claim) -> bool:
    """Run a claimed delivery's handler in the transaction that marks it
    delivered. Returns False when it failed, or when the lease ran out and
    another worker claimed it again (its attempt number moved on).

    The mark comes first: the UPDATE locks the row for the whole
    transaction (other workers' claims skip it) and proves the claim is
    still this worker's; if the handler raises, the mark rolls back with
    the handler's writes."""
    outbox_event = claim.event
    try:
        handler = find_handler(outbox_event.event_type, claim.handler)
        if handler is None:
            raise LookupError(f"No handler {claim.handler} is registered.")
        event = _event_of(claim)
        with transaction.atomic():
            _relax_commit()
            if not _mark_delivered(claim):
                return False
            with quiet() if outbox_event.quiet else nullcontext():
                handle(handler, [event])
    except SoftTimeLimitExceeded:
        # The task is out of time: record this attempt, leave the rest of
        # the batch to their leases.
        _record_failure(claim, traceback.format_exc(limit=20)[-10_000:])
        raise
    except Exception:  # noqa: BLE001 - a handler's failure is recorded, not raised
        _record_failure(claim, traceback.format_exc(limit=20)[-10_000:])
        return False
    return True


def _attempt_group(claims: Sequence[_Claim]) -> int:
    """Run first attempts together in one transaction, each handler in a
    savepoint of its own (group commit): one WAL flush for the group instead
    of one per delivery, which is half a delivery's cost (bench/outbox.py).

    Each delivery keeps its guarantees: its handler's writes and its mark
    commit together (a failing handler rolls back to its savepoint, and its
    failure is recorded in the same commit). What the group adds: a crash
    or a task time limit before the commit undoes the whole group, whose
    deliveries are tried again when their leases end, with the attempt
    counted; and the rows a handler locks stay locked until the group
    commits (OUTBOX_COMMIT_GROUP deliveries, a few milliseconds each)."""
    if len(claims) == 1:
        return int(_attempt(claims[0]))
    running = claims[0]
    try:
        with transaction.atomic():
            delivered = 0
            for running in claims:
                delivered += _attempt(running)
            return delivered
    except SoftTimeLimitExceeded:
        # The group rolled back, the running attempt's record with it: keep
        # that one (the others wait for their leases).
        _record_failure(running, traceback.format_exc(limit=20)[-10_000:])
        raise


def _relax_commit() -> None:
    """With OUTBOX_SYNCHRONOUS_COMMIT off, this delivery's transaction does
    not wait for its WAL flush (PostgreSQL's synchronous_commit, for this
    transaction only). A database crash may then lose the last fraction of
    a second of deliveries, handler writes and mark together, which are
    delivered again: at least once still holds, but a handler's effect
    outside the database (a mail already sent) may happen twice."""
    if not settings.OUTBOX_SYNCHRONOUS_COMMIT and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _mark_delivered(claim: _Claim) -> bool:
    """One statement, no ORM compilation: this runs once per delivery on the
    throughput path (bench/outbox.py)."""
    table = OutboxDelivery._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, delivered_at = %s, last_error = '', "  # noqa: S608 - table name from the model
            "updated_at = %s WHERE id = %s AND status = %s AND attempts = %s",
            [
                OutboxDelivery.Status.DELIVERED,
                now,
                now,
                claim.delivery_id,
                OutboxDelivery.Status.PENDING,
                claim.attempt,
            ],
        )
        return cursor.rowcount == 1


def _record_failure(claim: _Claim, error: str) -> None:
    """The handler's transaction rolled back; record why, and when to retry
    (or that the delivery is dead), unless another worker took it over."""
    now = timezone.now()
    dead = claim.attempt >= settings.OUTBOX_MAX_ATTEMPTS
    changes = {"last_error": error, "updated_at": now}
    if dead:
        changes["status"] = OutboxDelivery.Status.DEAD
    else:
        changes["next_attempt_at"] = now + retry_delay(claim.attempt)
    OutboxDelivery.objects.filter(
        pk=claim.delivery_id, status=OutboxDelivery.Status.PENDING, attempts=claim.attempt
    ).update(**changes)
    log = logger.error if dead else logger.warning
    log(
        "event_delivery_dead" if dead else "event_delivery_failed",
        handler=claim.handler,
        event_id=str(claim.event.id),
        attempts=claim.attempt,
    )


def outbox_due_event_ids(*, limit: int = 500) -> list[uuid.UUID]:
    """Events with a due delivery that the relay has not just handed to the
    broker, most overdue first, each once. (DISTINCT with an ORDER BY on
    another column would return an event once per distinct next_attempt_at
    of its deliveries.)"""
    now = timezone.now()
    return list(
        OutboxDelivery.objects.filter(
            status=OutboxDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(event__queued_until__isnull=True) | Q(event__queued_until__lte=now))
        .values("event_id")
        .annotate(first_due=Min("next_attempt_at"))
        .order_by("first_due")
        .values_list("event_id", flat=True)[:limit]
    )


def outbox_relay(*, limit: int | None = None) -> int:
    """Re-send every event with a delivery that is due, in batches of
    OUTBOX_BATCH_SIZE events per task, up to `limit` (50 batches) a tick.
    Returns how many events were handed to the broker; stops at the first
    broker failure.

    An event handed over is held for OUTBOX_LEASE_SECONDS (or until a worker
    has attempted it), so the next ticks do not queue the same work again
    while it waits in the queue."""
    size = max(1, settings.OUTBOX_BATCH_SIZE)
    due = outbox_due_event_ids(limit=limit or size * 50)
    sent = 0
    for start in range(0, len(due), size):
        batch = due[start : start + size]
        # Held before it is sent: a worker may have attempted it (and lifted
        # the hold) before apply_async returns.
        held = OutboxEvent.objects.filter(pk__in=batch)
        held.update(queued_until=timezone.now() + lease())
        if not enqueue_deliveries(batch, force=True):
            held.update(queued_until=None)
            break
        sent += len(batch)
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


def _prunable(*, cutoff) -> models.QuerySet[OutboxEvent]:
    undelivered = OutboxDelivery.objects.filter(event_id=OuterRef("pk")).exclude(
        status=OutboxDelivery.Status.DELIVERED
    )
    return OutboxEvent.objects.filter(created_at__lt=cutoff).filter(~Exists(undelivered))


def outbox_prune(
    *, older_than: timedelta | None = None, batch_size: int = 1000, max_batches: int = 100
) -> int:
    """Delete events older than OUTBOX_RETENTION_DAYS whose deliveries were
    all delivered (events nobody subscribes to included): their payloads
    hold shoppers' data. Pending and dead deliveries keep their event. One
    transaction per batch, so the table is never locked for long; returns
    how many events were deleted."""
    if older_than is None:
        older_than = timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    cutoff = timezone.now() - older_than
    deleted = 0
    for _ in range(max_batches):
        with transaction.atomic():
            ids = list(
                _prunable(cutoff=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if ids:
                _, per_model = _prunable(cutoff=cutoff).filter(pk__in=ids).delete()
                deleted += per_model.get(OutboxEvent._meta.label, 0)
        if len(ids) < batch_size:
            break
    if deleted:
        logger.info("outbox_pruned", events=deleted, cutoff=cutoff.isoformat())
    return deleted
