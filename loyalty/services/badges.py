"""Awarding badges and completing challenges.

Both follow the ledger (an award listener): when a member's award stands
again or for the first time, the badges counting that rule and the open
challenges on it are checked in the same transaction, with one aggregate
query each. Badges for days as a member and for monthly leaderboard places
are given by beat tasks. A badge is awarded once and kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from loyalty import notifications
from loyalty.marks_cache import marks_changed
from loyalty.models import (
    Award,
    Badge,
    BadgeCriterion,
    Challenge,
    ChallengeCompletion,
    EntryKind,
    LedgerEntry,
    MemberBadge,
    PointsAccount,
)
from loyalty.services.ledger import award_listener, points_award


def badge_give(*, user_id: int, badge: Badge, note: str = "") -> MemberBadge | None:
    """Give the badge once; the member hears of it. None when already held."""
    try:
        with transaction.atomic():
            held = MemberBadge.objects.create(user_id=user_id, badge=badge, note=note)
    except IntegrityError:
        return None
    notifications.notify_badge(held)
    # The public profile lists every badge, the marks only some: both are
    # read again (they share the stamps).
    marks_changed(user_id=user_id)
    return held


def _standing_counts(user_id: int, rules: Iterable[str]) -> dict[str, int]:
    rows = (
        Award.objects.filter(user_id=user_id, rule__in=set(rules), net__gt=0)
        .values("rule")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["rule"]: row["n"] for row in rows}


def badges_check(*, user_id: int, rules: Iterable[str] = (), account: PointsAccount | None = None):
    """Give the member every enabled badge for earning they now qualify for
    (counts of standing awards under `rules`, points earned in all)."""
    rules = set(rules)
    held = MemberBadge.objects.filter(user_id=user_id).values("badge_id")
    badges = list(
        Badge.objects.filter(enabled=True)
        .filter(
            Q(criterion=BadgeCriterion.AWARD_COUNT, rule__in=rules)
            | Q(criterion=BadgeCriterion.POINTS_EARNED)
        )
        .exclude(pk__in=held)
    )
    if not badges:
        return []
    counts = _standing_counts(user_id, {b.rule for b in badges if b.rule})
    if account is None:
        account = PointsAccount.objects.filter(user_id=user_id).first()
    earned = account.earned_total if account is not None else 0
    given = []
    for badge in badges:
        reached = (
            counts.get(badge.rule, 0) if badge.criterion == BadgeCriterion.AWARD_COUNT else earned
        )
        if reached >= badge.threshold:
            held_badge = badge_give(user_id=user_id, badge=badge)
            if held_badge is not None:
                given.append(held_badge)
    return given


def challenge_progress_counts(user_id: int, challenges: list[Challenge]) -> dict[int, int]:
    """Standing awards counted by each challenge, in one query."""
    if not challenges:
        return {}
    aggregates = {
        f"c{c.pk}": Count(
            "pk",
            filter=Q(rule=c.rule, created_at__gte=c.starts_at, created_at__lt=c.ends_at),
        )
        for c in challenges
    }
    row = Award.objects.filter(user_id=user_id, net__gt=0).aggregate(**aggregates)
    return {c.pk: row[f"c{c.pk}"] or 0 for c in challenges}


def challenges_check(*, user_id: int, rule: str, now: dt.datetime | None = None):
    """Complete the open challenges on `rule` the member has now reached:
    bonus points (an award of its own) and the challenge's badge."""
    now = now or timezone.now()
    open_challenges = list(
        Challenge.objects.filter(enabled=True, rule=rule, starts_at__lte=now, ends_at__gt=now)
        .exclude(completions__user_id=user_id)
        .select_related("badge")
    )
    progress = challenge_progress_counts(user_id, open_challenges)
    completed = []
    for challenge in open_challenges:
        if progress[challenge.pk] < challenge.target:
            continue
        try:
            with transaction.atomic():
                completion = ChallengeCompletion.objects.create(
                    user_id=user_id, challenge=challenge
                )
        except IntegrityError:
            continue
        if challenge.bonus_points:
            points_award(
                user_id=user_id,
                rule="challenge",
                subject=f"challenge:{challenge.pk}",
                points=challenge.bonus_points,
                note=challenge.name,
            )
        if challenge.badge is not None and challenge.badge.enabled:
            badge_give(user_id=user_id, badge=challenge.badge, note=challenge.name)
        notifications.notify_challenge(completion)
        completed.append(completion)
    return completed


@award_listener
def _follow_awards(*, award: Award, delta: int, account: PointsAccount) -> None:
    if delta <= 0 or award.rule == "challenge":
        if award.rule == "challenge" and delta > 0:
            badges_check(user_id=award.user_id, account=account)
        return
    badges_check(user_id=award.user_id, rules={award.rule}, account=account)
    challenges_check(user_id=award.user_id, rule=award.rule)


def member_days_badges_give(*, now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Badges for days as a member (a daily beat task). Returns how many."""
    now = now or timezone.now()
    User = get_user_model()
    given = 0
    for badge in Badge.objects.filter(enabled=True, criterion=BadgeCriterion.MEMBER_DAYS):
        joined_before = now - dt.timedelta(days=badge.threshold)
        while True:
            user_ids = list(
                User.objects.filter(is_active=True, is_staff=False, date_joined__lte=joined_before)
                .exclude(badges__badge=badge)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not user_ids:
                break
            for user_id in user_ids:
                with transaction.atomic():
                    if badge_give(user_id=user_id, badge=badge) is not None:
                        given += 1
            if len(user_ids) < batch:
                break
    return given


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def monthly_top(*, month: dt.date, area: str = "", limit: int = 10) -> list[tuple[int, int]]:
    """[(user_id, points)] of the month's best earners (net of reversals),
    staff excluded, ties broken by who got there first (lower member id)."""
    start, end = _month_bounds(month)
    entries = LedgerEntry.objects.filter(
        kind__in=[EntryKind.EARN, EntryKind.REVERSE],
        created_at__gte=start,
        created_at__lt=end,
        user__is_staff=False,
    ).exclude(rule="challenge")
    if area:
        entries = entries.filter(area=area)
    rows = (
        entries.values("user_id")
        .annotate(points=Sum("points"))
        .filter(points__gt=0)
        .order_by("-points", "user_id")[:limit]
    )
    return [(row["user_id"], row["points"]) for row in rows]


def leaderboard_badges_give(*, month: dt.date) -> int:
    """Badges for a place in last month's leaderboards (a monthly beat task;
    running it twice gives nothing more). Returns how many were given."""
    given = 0
    label = f"{month:%Y-%m}"
    for badge in Badge.objects.filter(enabled=True, criterion=BadgeCriterion.LEADERBOARD_TOP):
        for place, (user_id, _points) in enumerate(
            monthly_top(month=month, area=badge.area, limit=badge.threshold), start=1
        ):
            with transaction.atomic():
                if badge_give(user_id=user_id, badge=badge, note=f"{label} #{place}"):
                    given += 1
    return given
