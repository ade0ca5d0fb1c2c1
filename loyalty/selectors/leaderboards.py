"""Leaderboards: weekly, monthly and all-time, overall and per area, staff
excluded, top N plus a member's rank.

A board ranks members by the points they earned in the period, net of
reversals (the EARN and REVERSE entries written in it; spending never
counts), ties broken by the lower member id. Redis holds each board as a
sorted set (loyalty/services/leaderboards.py keeps it up to date after each
award and rebuilds it from the ledger); a board Redis does not hold (no
REDIS_URL, keys lost, Redis down) is computed from the ledger with the same
answer.

Redis scores are the points negated, so ZRANGE's ascending order (ties by
member, a zero-padded id) is "most points first, lower id first"."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.models import Area, BoardScore, EntryKind, LedgerEntry, ProgramSettings

logger = logging.getLogger("kampung.loyalty.leaderboards")

WEEK, MONTH, ALL_TIME = "week", "month", "all"
SCOPES = (WEEK, MONTH, ALL_TIME)
SCOPE_LABELS = {WEEK: _("This week"), MONTH: _("This month"), ALL_TIME: _("All time")}
OVERALL = "all"
BOARD_AREAS = (OVERALL, Area.REVIEWS, Area.ANSWERS, Area.FORUM)
KEY_PREFIX = "loyalty:lb"
# Past weeks and months stay readable from Redis for a while (the monthly
# top-10 badge reads last month's board); the ledger answers after that.
KEY_TTL = {WEEK: timedelta(days=70), MONTH: timedelta(days=400), ALL_TIME: None}
ID_WIDTH = 12

_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis | None:
    """The project's Redis (REDIS_URL), or None in embedded mode."""
    url = settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _clients[url] = client
    return client


def period_of(*, scope: str, when: datetime | None = None) -> str:
    """The board's period name: 2026-W49, 2026-12 or all (local time)."""
    if scope == ALL_TIME:
        return "all"
    local = timezone.localtime(when or timezone.now())
    if scope == WEEK:
        year, week, _day = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def period_bounds(*, scope: str, period: str) -> tuple[datetime | None, datetime | None]:
    if scope == ALL_TIME:
        return None, None
    zone = timezone.get_current_timezone()
    if scope == WEEK:
        year, week = period.split("-W")
        start = datetime.fromisocalendar(int(year), int(week), 1).replace(tzinfo=zone)
        return start, start + timedelta(days=7)
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


def board_key(*, scope: str, area: str, period: str) -> str:
    return f"{KEY_PREFIX}:{scope}:{area}:{period}"


def ready_key(key: str) -> str:
    """Set when the board was built from the ledger: only then is Redis read."""
    return f"{key}:ready"


def member_name(user_id: int) -> str:
    return f"{user_id:0{ID_WIDTH}d}"


@dataclass(frozen=True)
class Place:
    rank: int
    user_id: int
    points: int
    user: object = None


@dataclass(frozen=True)
class Board:
    scope: str
    area: str
    period: str
    top: list[Place]
    me: Place | None  # the member's own place (None: no points on this board)
    source: str  # "redis" or "database"


def _staff_ids() -> set[int]:
    User = get_user_model()
    return set(
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).values_list("pk", flat=True)
    )


def _entries(*, scope: str, area: str, period: str):
    entries = LedgerEntry.objects.filter(kind__in=[EntryKind.EARN, EntryKind.REVERSE])
    if area != OVERALL:
        entries = entries.filter(area=area)
    start, end = period_bounds(scope=scope, period=period)
    if start is not None:
        entries = entries.filter(created_at__gte=start, created_at__lt=end)
    return entries


def _staff():
    User = get_user_model()
    return User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).values("pk")


def board_totals(*, scope: str, area: str, period: str):
    """Every non-staff member's points on the board, best first (a queryset
    of {"user_id", "total"}); the rebuild and the database path share it."""
    return (
        _entries(scope=scope, area=area, period=period)
        .exclude(user_id__in=_staff())
        .values("user_id")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .order_by("-total", "user_id")
    )


def _from_database(*, scope, area, period, size, user_id) -> tuple[list[Place], Place | None]:
    if _scores_cover(scope=scope, period=period):
        return _from_scores(scope=scope, area=area, period=period, size=size, user_id=user_id)
    return _from_ledger(scope=scope, area=area, period=period, size=size, user_id=user_id)


def _scores_cover(*, scope: str, period: str) -> bool:
    """BoardScore keeps every all-time score and the weeks and months Redis
    keeps; older periods are summed from the ledger."""
    if scope == ALL_TIME:
        return True
    _start, end = period_bounds(scope=scope, period=period)
    return end >= timezone.now() - KEY_TTL[scope]


def _from_scores(*, scope, area, period, size, user_id) -> tuple[list[Place], Place | None]:
    """Two indexed reads (three with the member's own rank)."""
    scores = BoardScore.objects.filter(area=area, period=period, points__gt=0).exclude(
        user_id__in=_staff()
    )
    top = [
        Place(rank=index + 1, user_id=member, points=points)
        for index, (member, points) in enumerate(
            scores.order_by("-points", "user_id").values_list("user_id", "points")[:size]
        )
    ]
    me = next((place for place in top if place.user_id == user_id), None)
    if user_id is not None and me is None:
        mine = scores.filter(user_id=user_id).values_list("points", flat=True).first()
        if mine:
            ahead = scores.filter(Q(points__gt=mine) | Q(points=mine, user_id__lt=user_id)).count()
            me = Place(rank=ahead + 1, user_id=user_id, points=mine)
    return top, me


def _from_ledger(*, scope, area, period, size, user_id) -> tuple[list[Place], Place | None]:
    totals = board_totals(scope=scope, area=area, period=period)
    top = [
        Place(rank=index + 1, user_id=row["user_id"], points=row["total"])
        for index, row in enumerate(totals[:size])
    ]
    me = next((place for place in top if place.user_id == user_id), None)
    if user_id is not None and me is None:
        mine = (
            _entries(scope=scope, area=area, period=period)
            .filter(user_id=user_id)
            .exclude(user_id__in=_staff())
            .aggregate(total=Sum("points"))["total"]
        )
        if mine and mine > 0:
            ahead = (
                totals.filter(Q(total__gt=mine) | Q(total=mine, user_id__lt=user_id))
                .order_by()
                .aggregate(n=Count("user_id"))["n"]
            )
            me = Place(rank=ahead + 1, user_id=user_id, points=mine)
    return top, me


def _from_redis(
    client, *, scope, area, period, size, user_id
) -> tuple[list[Place], Place | None] | None:
    key = board_key(scope=scope, area=area, period=period)
    staff = sorted(_staff_ids())
    with client.pipeline(transaction=False) as pipe:
        pipe.exists(ready_key(key))
        pipe.zrangebyscore(key, "-inf", "(0", start=0, num=size + len(staff), withscores=True)
        if user_id is not None:
            pipe.zscore(key, member_name(user_id))
            pipe.zrank(key, member_name(user_id))
        if staff:
            pipe.zmscore(key, [member_name(pk) for pk in staff])
        answers = pipe.execute()
    if not answers[0]:
        return None
    staff_set = set(staff)
    top = []
    for name, score in answers[1]:
        member = int(name)
        if member in staff_set:
            continue
        top.append(Place(rank=len(top) + 1, user_id=member, points=int(-score)))
        if len(top) == size:
            break
    me = next((place for place in top if place.user_id == user_id), None)
    if user_id is not None and me is None and user_id not in staff_set:
        score, position = answers[2], answers[3]
        if score is not None and score < 0:
            staff_scores = answers[4] if staff else []
            staff_ahead = sum(
                1
                for pk, s in zip(staff, staff_scores, strict=True)
                if s is not None and (s < score or (s == score and pk < user_id))
            )
            me = Place(rank=position + 1 - staff_ahead, user_id=user_id, points=int(-score))
    return top, me


def leaderboard(
    *,
    scope: str = WEEK,
    area: str = OVERALL,
    period: str | None = None,
    user_id: int | None = None,
    size: int | None = None,
    with_users: bool = True,
) -> Board:
    """The board's top N (ProgramSettings.leaderboard_size) and the member's
    own place, from Redis when it holds the board, else from the ledger."""
    if scope not in SCOPES or area not in BOARD_AREAS:
        raise ValueError(f"No such leaderboard: {scope}/{area}")
    period = period or period_of(scope=scope)
    size = size or ProgramSettings.current().leaderboard_size
    answer, source = None, "database"
    client = redis_client()
    if client is not None:
        try:
            answer = _from_redis(
                client, scope=scope, area=area, period=period, size=size, user_id=user_id
            )
            source = "redis"
        except redis.RedisError:
            logger.warning("Leaderboard read from Redis failed; using the ledger", exc_info=True)
    if answer is None:
        answer, source = (
            _from_database(scope=scope, area=area, period=period, size=size, user_id=user_id),
            "database",
        )
    top, me = answer
    if with_users:
        ids = {place.user_id for place in top} | ({me.user_id} if me else set())
        users = get_user_model().objects.in_bulk(ids)
        top = [Place(p.rank, p.user_id, p.points, users.get(p.user_id)) for p in top]
        if me is not None:
            me = Place(me.rank, me.user_id, me.points, users.get(me.user_id))
    return Board(scope=scope, area=area, period=period, top=top, me=me, source=source)
