"""Writes of the leaderboards' Redis sorted sets (the ledger is the source
of truth; loyalty/selectors/leaderboards.py reads them).

After each change of an award's standing commits, the member's points move
on this week's, this month's and the all-time board, overall and in the
award's area. A beat task rebuilds the current boards from the ledger into
a temporary key and RENAMEs it over the board, then marks the board ready:
a board is read from Redis only once built, so lost keys read from the
ledger until the next rebuild. A Redis error never breaks an award: it is
logged, and the rebuild puts the board right."""

from __future__ import annotations

import contextlib
import logging
import uuid

import redis
from django.db import transaction
from django.utils import timezone

from loyalty.selectors.leaderboards import (
    BOARD_AREAS,
    KEY_TTL,
    OVERALL,
    SCOPES,
    board_key,
    board_totals,
    member_name,
    period_of,
    ready_key,
    redis_client,
)
from loyalty.services.ledger import award_listener

logger = logging.getLogger("kampung.loyalty.leaderboards")


def leaderboard_bump(*, user_id: int, area: str, delta: int, when=None) -> None:
    """Move the member's points by `delta` on every board the change is in."""
    leaderboard_bump_many([(user_id, area, delta)], when=when)


def leaderboard_bump_many(moves: list[tuple[int, str, int]], *, when=None) -> None:
    """Each (member, area, delta): move the member's points on every board
    the change is in, in one round trip for all of them."""
    moves = [move for move in moves if move[2]]
    client = redis_client()
    if client is None or not moves:
        return
    when = when or timezone.now()
    periods = {scope: period_of(scope=scope, when=when) for scope in SCOPES}
    try:
        with client.pipeline(transaction=False) as pipe:
            keys = set()
            for user_id, area, delta in moves:
                areas = [OVERALL] + ([area] if area in BOARD_AREAS and area != OVERALL else [])
                for scope, period in periods.items():
                    for board_area in areas:
                        key = board_key(scope=scope, area=board_area, period=period)
                        pipe.zincrby(key, -delta, member_name(user_id))
                        if KEY_TTL[scope] is not None:
                            keys.add((key, int(KEY_TTL[scope].total_seconds())))
            for key, seconds in keys:
                pipe.expire(key, seconds)
            pipe.execute()
    except redis.RedisError:
        logger.warning("Leaderboard update in Redis failed (a rebuild fixes it)", exc_info=True)


@award_listener
def _leaderboards_follow_awards(changes) -> None:
    moves = [(change.account.user_id, change.award.area, change.delta) for change in changes]
    when = timezone.now()
    transaction.on_commit(lambda: leaderboard_bump_many(moves, when=when))


def leaderboard_rebuild(*, scope: str, area: str, period: str | None = None) -> bool:
    """Rebuild one board from the ledger, atomically for its readers.
    Returns False when there is no Redis or it failed."""
    client = redis_client()
    if client is None:
        return False
    period = period or period_of(scope=scope)
    key = board_key(scope=scope, area=area, period=period)
    temp = f"{key}:build:{uuid.uuid4().hex}"
    rows = list(board_totals(scope=scope, area=area, period=period).values_list("user_id", "total"))
    ttl = KEY_TTL[scope]
    try:
        with client.pipeline(transaction=False) as pipe:
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                pipe.zadd(temp, {member_name(pk): -total for pk, total in chunk})
            pipe.execute()
        with client.pipeline(transaction=True) as pipe:
            if rows:
                pipe.rename(temp, key)
            else:
                pipe.delete(key)
            pipe.set(ready_key(key), "1")
            if ttl is not None:
                seconds = int(ttl.total_seconds())
                if rows:
                    pipe.expire(key, seconds)
                pipe.expire(ready_key(key), seconds)
            pipe.execute()
    except redis.RedisError:
        logger.warning("Leaderboard rebuild in Redis failed", exc_info=True)
        with contextlib.suppress(redis.RedisError):
            client.delete(temp)
        return False
    return True


def leaderboards_rebuild() -> int:
    """Beat: rebuild every current board (week, month, all time; overall and
    per area). Returns how many were rebuilt."""
    return sum(
        leaderboard_rebuild(scope=scope, area=area) for scope in SCOPES for area in BOARD_AREAS
    )
