"""Cache-backed rate limits for what a visitor can aim at someone else's
address (stock alert confirmations, guest orders).

Fixed windows counted in the cache. When the cache is down the limit fails
open (the request goes on, a warning is logged): the shop keeps selling
without Redis, and the limits are a brake on abuse, not a guarantee."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import cache

logger = structlog.get_logger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int


def parse_rate(rate: str) -> Rate:
    """`"20/h"`: 20 per hour; units s, m, h, d."""
    amount, _, unit = rate.partition("/")
    if unit not in _UNITS:
        raise ValueError(f"Rate {rate!r}: use N/s, N/m, N/h or N/d.")
    return Rate(int(amount), _UNITS[unit])


def _key(name: str, ident: str, rate: Rate, now: float) -> str:
    digest = hashlib.sha256(ident.strip().lower().encode()).hexdigest()[:32]
    return f"shop:rl:{name}:{digest}:{int(now // rate.seconds)}"


def rate_limit_consume(*, name: str, ident: str) -> bool:
    """Count one hit of limit `name` (a key of settings.SHOP_RATE_LIMITS) for
    `ident` (an address, an email); True while within the limit. An unknown
    name or an empty ident is not limited."""
    rate_text = settings.SHOP_RATE_LIMITS.get(name)
    if not rate_text or not ident:
        return True
    rate = parse_rate(rate_text)
    key = _key(name, ident, rate, time.time())
    try:
        cache.add(key, 0, timeout=rate.seconds + 5)
        count = cache.incr(key)
    except Exception:  # any cache failure: fail open
        logger.warning("rate_limit_cache_unavailable", limit=name, exc_info=True)
        return True
    if count is None:  # a Redis cache that ignores its failures answers None
        logger.warning("rate_limit_cache_unavailable", limit=name)
        return True
    return count <= rate.amount


def rate_limits_consume(*, hits: dict[str, str]) -> bool:
    """Count one hit of every limit in `hits` ({name: ident}); True if none
    is exceeded. Every limit is counted, so a refused attempt still costs."""
    results = [rate_limit_consume(name=name, ident=ident) for name, ident in hits.items()]
    return all(results)
