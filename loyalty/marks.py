"""MEMBER_MARKS: a member's tier and best badges beside their name on every
community page. From the cache (one round trip for a whole page, no query);
a member's marks are read again after their tier or badges change, and
everyone's after staff edit a tier or a badge (loyalty.marks_cache)."""

from __future__ import annotations

from collections.abc import Iterable

from loyalty.marks_cache import marks
from loyalty.selectors.badges import badge_marks
from loyalty.selectors.tiers import member_tier_marks


def _read(user_ids: list[int]) -> dict[int, list[dict]]:
    tiers, badges = member_tier_marks(user_ids), badge_marks(user_ids)
    return {user_id: tiers.get(user_id, []) + badges.get(user_id, []) for user_id in user_ids}


def member_marks(user_ids: Iterable[int]) -> dict[int, list[dict]]:
    found = marks.get_many(user_ids, _read)
    return {user_id: value for user_id, value in found.items() if value}
