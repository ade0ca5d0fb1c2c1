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
from loyalty.marks_cache import marks_changed, marks_many_changed
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


def badges_check(*, user_id: int, rules: Iterable[str] = (), account: PointsAccount | None = None):
    """Give the member every enabled badge for earning they now qualify for
    (counts of standing awards under `rules`, points earned in all)."""
    return badges_check_many(
        rules_by_user={user_id: set(rules)},
        accounts={user_id: account} if account is not None else None,
    )


def badges_check_many(
    *, rules_by_user: dict[int, set[str]], accounts: dict[int, PointsAccount] | None = None
) -> list[MemberBadge]:
    """`badges_check` for many members ({user_id: rules}), with three reads
    for all of them: the badges, the ones held, the standing awards' counts."""
    if not rules_by_user:
        return []
    user_ids = set(rules_by_user)
    all_rules = set().union(*rules_by_user.values())
    badges = list(
        Badge.objects.filter(enabled=True).filter(
            Q(criterion=BadgeCriterion.AWARD_COUNT, rule__in=all_rules)
            | Q(criterion=BadgeCriterion.POINTS_EARNED)
        )
    )
    if not badges:
        return []
    held = set(
        MemberBadge.objects.filter(user_id__in=user_ids, badge__in=badges).values_list(
            "user_id", "badge_id"
        )
    )
    count_rules = {b.rule for b in badges if b.criterion == BadgeCriterion.AWARD_COUNT}
    counts: dict[tuple[int, str], int] = {}
    if count_rules:
        rows = (
            Award.objects.filter(user_id__in=user_ids, rule__in=count_rules, net__gt=0)
            .values("user_id", "rule")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {(row["user_id"], row["rule"]): row["n"] for row in rows}
    if accounts is None or any(accounts.get(user_id) is None for user_id in user_ids):
        accounts = {a.user_id: a for a in PointsAccount.objects.filter(user_id__in=user_ids)} | {
            user_id: account for user_id, account in (accounts or {}).items() if account
        }
    due = []
    for user_id in sorted(user_ids):
        account = accounts.get(user_id)
        earned = account.earned_total if account is not None else 0
        for badge in badges:
            if (user_id, badge.pk) in held:
                continue
            if badge.criterion == BadgeCriterion.AWARD_COUNT:
                if badge.rule not in rules_by_user[user_id]:
                    continue
                reached = counts.get((user_id, badge.rule), 0)
            else:
                reached = earned
            if reached >= badge.threshold:
                due.append((user_id, badge))
    return badges_give_many(due)


def badges_give_many(due: list[tuple[int, Badge]]) -> list[MemberBadge]:
    """`badge_give` for many (member, badge) pairs, with one write each for
    the badges and the notifications. Should one be given concurrently
    meanwhile, each is given on its own instead (still once)."""
    if not due:
        return []
    if len(due) == 1:
        held = badge_give(user_id=due[0][0], badge=due[0][1])
        return [held] if held is not None else []
    rows = [MemberBadge(user_id=user_id, badge=badge) for user_id, badge in due]
    try:
        with transaction.atomic():
            MemberBadge.objects.bulk_create(rows)
    except IntegrityError:
        given = [badge_give(user_id=user_id, badge=badge) for user_id, badge in due]
        return [held for held in given if held is not None]
    notifications.notify_badges(rows)
    marks_many_changed(user_ids={row.user_id for row in rows})
    return rows


def challenge_progress_counts(user_id: int, challenges: list[Challenge]) -> dict[int, int]:
    """Standing awards counted by each challenge, in one query."""
    return challenge_progress_counts_many([user_id], challenges).get(user_id, {})


def challenge_progress_counts_many(
    user_ids: Iterable[int], challenges: list[Challenge]
) -> dict[int, dict[int, int]]:
    """{user_id: {challenge id: standing awards counted}}, in one query."""
    ids = set(user_ids)
    if not challenges or not ids:
        return {user_id: {} for user_id in ids}
    aggregates = {
        f"c{c.pk}": Count(
            "pk",
            filter=Q(rule=c.rule, created_at__gte=c.starts_at, created_at__lt=c.ends_at),
        )
        for c in challenges
    }
    rows = {
        row["user_id"]: row
        for row in Award.objects.filter(user_id__in=ids, net__gt=0)
        .values("user_id")
        .annotate(**aggregates)
        .order_by()
    }
    return {
        user_id: {c.pk: (rows.get(user_id) or {}).get(f"c{c.pk}") or 0 for c in challenges}
        for user_id in ids
    }


def challenges_check(*, user_id: int, rule: str, now: dt.datetime | None = None):
    """Complete the open challenges on `rule` the member has now reached:
    bonus points (an award of its own) and the challenge's badge."""
    return challenges_check_many(rules_by_user={user_id: {rule}}, now=now)


def challenges_check_many(
    *, rules_by_user: dict[int, set[str]], now: dt.datetime | None = None
) -> list[ChallengeCompletion]:
    """`challenges_check` for many members ({user_id: rules}): the open
    challenges, the completions and the progress read once for all."""
    if not rules_by_user:
        return []
    now = now or timezone.now()
    all_rules = set().union(*rules_by_user.values())
    open_challenges = list(
        Challenge.objects.filter(
            enabled=True, rule__in=all_rules, starts_at__lte=now, ends_at__gt=now
        ).select_related("badge")
    )
    if not open_challenges:
        return []
    user_ids = set(rules_by_user)
    done = set(
        ChallengeCompletion.objects.filter(
            user_id__in=user_ids, challenge__in=open_challenges
        ).values_list("user_id", "challenge_id")
    )
    progress = challenge_progress_counts_many(user_ids, open_challenges)
    completed = []
    for user_id in sorted(user_ids):
        for challenge in open_challenges:
            if challenge.rule not in rules_by_user[user_id] or (user_id, challenge.pk) in done:
                continue
            if progress[user_id][challenge.pk] < challenge.target:
                continue
            completion = _challenge_complete(user_id=user_id, challenge=challenge)
            if completion is not None:
                completed.append(completion)
    return completed


def _challenge_complete(*, user_id: int, challenge: Challenge) -> ChallengeCompletion | None:
    try:
        with transaction.atomic():
            completion = ChallengeCompletion.objects.create(user_id=user_id, challenge=challenge)
    except IntegrityError:
        return None
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
    return completion


@award_listener
def _badges_follow_awards(changes) -> None:
    """Earning badges and challenges for every member whose awards gained;
    a challenge's own bonus counts only towards points-earned badges."""
    badge_rules: dict[int, set[str]] = {}
    challenge_rules: dict[int, set[str]] = {}
    accounts: dict[int, PointsAccount] = {}
    for change in changes:
        if change.delta <= 0:
            continue
        user_id = change.account.user_id
        accounts[user_id] = change.account
        rules = badge_rules.setdefault(user_id, set())
        if change.award.rule != "challenge":
            rules.add(change.award.rule)
            challenge_rules.setdefault(user_id, set()).add(change.award.rule)
    badges_check_many(rules_by_user=badge_rules, accounts=accounts)
    challenges_check_many(rules_by_user=challenge_rules)


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
