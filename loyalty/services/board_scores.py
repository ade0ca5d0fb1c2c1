"""The leaderboards' scores in the database (loyalty.models.BoardScore),
moved with the ledger entries that count for them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from loyalty.models import BoardScore, EntryKind, LedgerEntry
from loyalty.selectors.leaderboards import (
    BOARD_AREAS,
    KEY_TTL,
    MONTH,
    OVERALL,
    SCOPES,
    WEEK,
    period_of,
)


def board_deltas(entries: Iterable[LedgerEntry]) -> dict[tuple, int]:
    """{(user_id, area, period): points} for the entries that count (EARN,
    REVERSE), on the overall board and their area's, in each period of the
    entry's own time (as the ledger's sums see it)."""
    deltas: dict[tuple, int] = defaultdict(int)
    for entry in entries:
        if entry.kind not in (EntryKind.EARN, EntryKind.REVERSE):
            continue
        when = entry.created_at or timezone.now()
        periods = [period_of(scope=scope, when=when) for scope in SCOPES]
        areas = [OVERALL] + ([entry.area] if entry.area in BOARD_AREAS else [])
        for area in areas:
            for period in periods:
                deltas[(entry.user_id, area, period)] += entry.points
    return {key: points for key, points in deltas.items() if points}


def board_scores_move(entries: Iterable[LedgerEntry]) -> None:
    """Add the saved entries' points to the boards' scores: one statement
    (an upsert that adds, in the caller's transaction)."""
    deltas = board_deltas(entries)
    if not deltas:
        return
    table = connection.ops.quote_name(BoardScore._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(deltas))
    params = [
        value
        for (user_id, area, period), points in deltas.items()
        for value in (user_id, area, period, points)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, area, period, points) VALUES {rows} "  # noqa: S608 - names are ours
            f"ON CONFLICT (user_id, area, period) DO UPDATE SET points = {table}.points + excluded.points",
            params,
        )


def board_scores_prune(*, now=None) -> int:
    """Forget the weeks' and months' scores older than Redis keeps its boards
    (the ledger answers for those). Returns how many rows went."""
    now = now or timezone.now()
    oldest_week = period_of(scope=WEEK, when=now - KEY_TTL[WEEK])
    oldest_month = period_of(scope=MONTH, when=now - KEY_TTL[MONTH])
    weeks = BoardScore.objects.filter(period__contains="-W", period__lt=oldest_week)
    months = BoardScore.objects.exclude(period__contains="-W").exclude(period="all")
    deleted = weeks.delete()[0]
    return deleted + months.filter(period__lt=oldest_month).delete()[0]


@transaction.atomic
def board_scores_rebuild(*, user_ids: Iterable[int]) -> int:
    """Recompute these members' scores from their ledger entries (after a
    repair, or entries moved in time), under their account locks. Returns
    how many rows were written."""
    from loyalty.services.ledger import account_lock

    ids = sorted({int(pk) for pk in user_ids})
    for user_id in ids:
        account_lock(user_id=user_id)
    BoardScore.objects.filter(user_id__in=ids).delete()
    entries = LedgerEntry.objects.filter(
        user_id__in=ids, kind__in=[EntryKind.EARN, EntryKind.REVERSE]
    ).only("user_id", "kind", "area", "points", "created_at")
    deltas = board_deltas(entries.iterator(chunk_size=2000))
    BoardScore.objects.bulk_create(
        [
            BoardScore(user_id=user_id, area=area, period=period, points=points)
            for (user_id, area, period), points in deltas.items()
        ],
        batch_size=2000,
    )
    return len(deltas)
