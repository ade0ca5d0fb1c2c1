"""The header's cached points balance: read once after each change, then
from the cache on every page (loyalty.selectors.rewards.cached_balance)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

BALANCE_CACHE_SECONDS = 3600


def balance_key(user_id: int) -> str:
    return f"loyalty:balance:{user_id}"


def balance_changed(*, user_id: int) -> None:
    """Forget the cached balance once the change commits."""
    transaction.on_commit(lambda: cache.delete(balance_key(user_id)))
