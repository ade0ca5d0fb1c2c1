"""What a signed-in member read about a product before buying it: the
reviews and answers a product page, a reviews page, a review's page or a
question's page showed them. Loyalty rewards the authors when the member then
buys the product ("contribution that sells", core.hooks.CONTENT_READ).

Kept in the cache, not the database: recording costs members' pages one
cache read and, the first time something is shown, one write; a lost cache
only loses bonuses not yet paid. Only the first time each item was shown is
kept, and only the newest READS_KEPT items per member and product."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache

from community.models import Answer, ContentStatus, Review

READS_SECONDS = 60 * 60 * 24 * 45  # longer than anyone considers a purchase
READS_KEPT = 30
REVIEW, ANSWER = "review", "answer"


def _key(user_id: int, product_id: int) -> str:
    return f"community:reads:{user_id}:{product_id}"


def reads_record(*, user, product_id: int | None, items: Iterable[tuple[str, int]]) -> None:
    """The member was shown these (kind, id) items about the product."""
    if product_id is None or user is None or not user.is_authenticated:
        return
    tags = [f"{kind}:{pk}" for kind, pk in items]
    if not tags:
        return
    key = _key(user.pk, product_id)
    stored = cache.get(key) or {}
    new = [tag for tag in tags if tag not in stored]
    if not new:
        return
    now = int(time.time())
    stored.update(dict.fromkeys(new, now))
    if len(stored) > READS_KEPT:
        stored = dict(sorted(stored.items(), key=lambda item: item[1])[-READS_KEPT:])
    cache.set(key, stored, READS_SECONDS)


def content_read(*, user_id: int, product_ids: Iterable[int], before: datetime) -> list[dict]:
    """core.hooks.CONTENT_READ: the published reviews and answers about these
    products, by other members, that the member was shown before `before`;
    first read first. One cache round trip and two queries."""
    product_ids = list(dict.fromkeys(int(pk) for pk in product_ids))
    if not product_ids:
        return []
    stored = cache.get_many([_key(user_id, pk) for pk in product_ids])
    cutoff = before.timestamp()
    read_at: dict[tuple[str, int], float] = {}
    for tags in stored.values():
        for tag, at in tags.items():
            kind, _sep, pk = tag.partition(":")
            if at < cutoff and kind in (REVIEW, ANSWER) and pk.isdigit():
                read_at[(kind, int(pk))] = at
    if not read_at:
        return []
    found = []
    review_ids = [pk for kind, pk in read_at if kind == REVIEW]
    answer_ids = [pk for kind, pk in read_at if kind == ANSWER]
    if review_ids:
        rows = Review.objects.filter(
            pk__in=review_ids, product_id__in=product_ids, status=ContentStatus.PUBLISHED
        ).exclude(author_id=user_id)
        for pk, author_id, product_id in rows.values_list("pk", "author_id", "product_id"):
            found.append(
                {"kind": REVIEW, "id": pk, "author_id": author_id, "product_id": product_id}
            )
    if answer_ids:
        rows = Answer.objects.filter(
            pk__in=answer_ids,
            question__product_id__in=product_ids,
            status=ContentStatus.PUBLISHED,
            question__status=ContentStatus.PUBLISHED,
        ).exclude(author_id=user_id)
        for pk, author_id, product_id in rows.values_list(
            "pk", "author_id", "question__product_id"
        ):
            found.append(
                {"kind": ANSWER, "id": pk, "author_id": author_id, "product_id": product_id}
            )
    found.sort(key=lambda item: (read_at[(item["kind"], item["id"])], item["kind"], item["id"]))
    return found
