"""The header's cached points balance: read once after each change, then
from the cache on every page (loyalty.selectors.rewards.cached_balance).
A change never leaves it stale (loyalty.stamped_cache explains how)."""

from __future__ import annotations

from loyalty.stamped_cache import StampedCache

BALANCE_CACHE_SECONDS = 3600

balances = StampedCache("loyalty:balance", BALANCE_CACHE_SECONDS)


def balance_changed(*, user_id: int) -> None:
    """Read the balance again once the change commits."""
    balances.changed(user_id=user_id)


def balances_changed(*, user_ids) -> None:
    """`balance_changed` for many members (one cache call after the commit)."""
    balances.changed_many(user_ids=user_ids)
