"""MEMBER_MARKS: a member's tier and best badges beside their name on every
community page. From the cache (one round trip for a whole page, no query);
a member's marks are read again after their tier or badges change, and
everyone's after staff edit a tier or a badge (loyalty.marks_cache)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from loyalty.marks_cache import MARKS_SECONDS, marks_generation, marks_key
from loyalty.selectors.badges import badge_marks
from loyalty.selectors.tiers import member_tier_marks


def member_marks(user_ids: Iterable[int]) -> dict[int, list[dict]]:
    ids = {int(pk) for pk in user_ids}
    if not ids:
        return {}
    generation = marks_generation()
    keys = {user_id: marks_key(generation, user_id) for user_id in ids}
    cached = cache.get_many(list(keys.values()))
    marks = {}
    missing = []
    for user_id, key in keys.items():
        if key in cached:
            if cached[key]:
                marks[user_id] = cached[key]
        else:
            missing.append(user_id)
    if missing:
        tiers, badges = member_tier_marks(missing), badge_marks(missing)
        fresh = {user_id: tiers.get(user_id, []) + badges.get(user_id, []) for user_id in missing}
        cache.set_many({keys[user_id]: value for user_id, value in fresh.items()}, MARKS_SECONDS)
        marks.update({user_id: value for user_id, value in fresh.items() if value})
    return marks
