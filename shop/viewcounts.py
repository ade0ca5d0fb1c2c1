"""Product view counts, kept out of the product page's request.

A page view only increments a counter in the cache (no database write in a
GET, nothing inside the request's transaction). Counters live in per-minute
buckets; a bucket also records which products it touched, in numbered slots,
so the flush finds its keys without scanning the cache. A periodic task
(`flush_product_view_counts`, in CELERY_BEAT_SCHEDULE) moves closed buckets
into `Product.view_count` with F() updates.

Counts are a popularity signal, not money: a bucket lost with the cache is
acceptable; counting a view twice is prevented by a flush lock.
"""

from __future__ import annotations

import time
from collections import Counter

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from shop.models import Product

BUCKET_SECONDS = 60
# A bucket is flushed once no request can still be writing to it.
SETTLE_SECONDS = 60
# How far back a flush looks when it has no record of the last one.
LOOKBACK_BUCKETS = 24 * 60
KEY_TTL = 2 * 24 * 60 * 60
FLUSH_LOCK_SECONDS = 5 * 60

PREFIX = "shop:views"
FLUSHED_UPTO_KEY = f"{PREFIX}:flushed-upto"
FLUSH_LOCK_KEY = f"{PREFIX}:flush-lock"


def _bucket(now: float) -> int:
    return int(now // BUCKET_SECONDS)


def _count_key(bucket: int, product_id: int) -> str:
    return f"{PREFIX}:{bucket}:count:{product_id}"


def _seq_key(bucket: int) -> str:
    return f"{PREFIX}:{bucket}:seq"


def _slot_key(bucket: int, n: int) -> str:
    return f"{PREFIX}:{bucket}:slot:{n}"


def _incr(key: str) -> int:
    """Atomic increment that creates the key (cache.incr refuses missing keys)."""
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, KEY_TTL):
            return 1
        return cache.incr(key)


def product_view_record(*, product_id: int, now: float | None = None) -> None:
    """Count one view of a product. Cache only; never touches the database."""
    bucket = _bucket(time.time() if now is None else now)
    count_key = _count_key(bucket, product_id)
    try:
        cache.incr(count_key)  # the common case: one round trip
        return
    except ValueError:
        pass
    if cache.add(count_key, 1, KEY_TTL):
        # First view of this product in this bucket: note it in a new slot.
        slot = _incr(_seq_key(bucket))
        cache.set(_slot_key(bucket, slot), product_id, KEY_TTL)
    else:
        _incr(count_key)


def product_view_counts_pending(*, bucket: int) -> Counter:
    """The views a bucket holds, by product id (read only)."""
    slots = cache.get(_seq_key(bucket)) or 0
    if not slots:
        return Counter()
    product_ids = cache.get_many([_slot_key(bucket, n) for n in range(1, slots + 1)]).values()
    counts = cache.get_many([_count_key(bucket, pk) for pk in product_ids])
    return Counter({pk: int(counts.get(_count_key(bucket, pk)) or 0) for pk in product_ids})


def _bucket_delete(bucket: int, product_ids) -> None:
    slots = cache.get(_seq_key(bucket)) or 0
    cache.delete_many(
        [
            _seq_key(bucket),
            *(_slot_key(bucket, n) for n in range(1, slots + 1)),
            *(_count_key(bucket, pk) for pk in product_ids),
        ]
    )


def product_view_counts_flush(*, now: float | None = None) -> int:
    """Move the views of every closed bucket into Product.view_count.
    Returns the number of views applied. Safe to run concurrently (a lock
    keeps a second run out) and repeatedly (flushed buckets are deleted)."""
    now = time.time() if now is None else now
    last_closed = _bucket(now - SETTLE_SECONDS) - 1
    if not cache.add(FLUSH_LOCK_KEY, 1, FLUSH_LOCK_SECONDS):
        return 0
    try:
        flushed_upto = cache.get(FLUSHED_UPTO_KEY)
        first = (
            last_closed - LOOKBACK_BUCKETS
            if flushed_upto is None
            else max(flushed_upto + 1, last_closed - LOOKBACK_BUCKETS)
        )
        applied = 0
        for bucket in range(first, last_closed + 1):
            counts = product_view_counts_pending(bucket=bucket)
            if counts:
                with transaction.atomic():
                    for product_id, views in sorted(counts.items()):
                        if views > 0:
                            Product.objects.filter(pk=product_id).update(
                                view_count=F("view_count") + views
                            )
                applied += sum(counts.values())
                _bucket_delete(bucket, counts.keys())
            cache.set(FLUSHED_UPTO_KEY, bucket, None)
        return applied
    finally:
        cache.delete(FLUSH_LOCK_KEY)


@shared_task(acks_late=True, ignore_result=True)
def flush_product_view_counts() -> int:
    return product_view_counts_flush()
