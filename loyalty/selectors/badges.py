"""Reads of badges and challenges: a member's badges, the marks beside
members' names (one query for a whole page), challenge progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from loyalty.models import Badge, Challenge, MemberBadge
from loyalty.models.badges import LEVEL_RANK
from loyalty.services.badges import challenge_progress_counts

MARKS_PER_MEMBER = 2


def badges_of(*, user_id: int) -> list[MemberBadge]:
    """The member's badges, best level first, then newest."""
    held = list(MemberBadge.objects.filter(user_id=user_id).select_related("badge"))
    return sorted(held, key=lambda h: (-LEVEL_RANK[h.badge.level], -h.awarded_at.timestamp()))


def badge_marks(user_ids: Iterable[int]) -> dict[int, list[dict]]:
    """MEMBER_MARKS: each member's best badges shown beside their name."""
    held = (
        MemberBadge.objects.filter(
            user_id__in=set(user_ids), badge__enabled=True, badge__show_next_to_name=True
        )
        .select_related("badge")
        .order_by("user_id", "-awarded_at")
    )
    best: dict[int, list[MemberBadge]] = {}
    for member_badge in held:
        best.setdefault(member_badge.user_id, []).append(member_badge)
    marks = {}
    for user_id, badges in best.items():
        badges.sort(key=lambda h: -LEVEL_RANK[h.badge.level])
        marks[user_id] = [
            {
                "label": h.badge.name,
                "title": h.badge.description or h.badge.get_level_display(),
                "level": h.badge.level,
            }
            for h in badges[:MARKS_PER_MEMBER]
        ]
    return marks


@dataclass(frozen=True)
class ChallengeProgress:
    challenge: Challenge
    count: int
    completed: bool

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.count / self.challenge.target))


def challenges_for(
    *, user_id: int | None, now: dt.datetime | None = None
) -> list[ChallengeProgress]:
    """The challenges open now, with the member's progress (two queries)."""
    now = now or timezone.now()
    challenges = list(
        Challenge.objects.filter(enabled=True, starts_at__lte=now, ends_at__gt=now).select_related(
            "badge"
        )
    )
    if not challenges:
        return []
    if user_id is None:
        return [ChallengeProgress(c, 0, False) for c in challenges]
    done = set(
        Challenge.objects.filter(
            pk__in=[c.pk for c in challenges], completions__user_id=user_id
        ).values_list("pk", flat=True)
    )
    progress = challenge_progress_counts(user_id, challenges)
    return [ChallengeProgress(c, min(progress[c.pk], c.target), c.pk in done) for c in challenges]


def badge_catalogue() -> list[Badge]:
    return list(Badge.objects.filter(enabled=True))
