"""Early access: who a drop is open to, and telling them when it opens.

Tiers and badges are other parts of the program. Until they are wired, the
functions under "Standing" answer as if no member had a tier or a badge
(every rank 0, no badge), so only drops open to every signed-in member open
to anyone; the tier and badge modules replace their bodies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core import hooks
from core.notifications import notify
from loyalty.models import DropAudience, EarlyAccessDrop, EarlyAccessNotice
from loyalty.notifications import EARLY_ACCESS


# --------------------------------------------------------------- standing
def _ladder() -> list:
    from loyalty.models import Tier

    return list(Tier.objects.order_by("threshold", "pk"))


def _matches(tier, code: str) -> bool:
    code = (code or "").strip().lower()
    return code in {str(tier.pk), slugify(tier.name_en or ""), (tier.name_en or "").lower()}


def tier_rank(code: str) -> int | None:
    """The rank of the tier `code` (its name, slug or id; higher is better),
    None for no such tier."""
    for rank, tier in enumerate(_ladder(), start=1):
        if _matches(tier, code):
            return rank
    return None


def tier_name(code: str) -> str:
    """The tier's name as members see it."""
    for tier in _ladder():
        if _matches(tier, code):
            return str(tier.name)
    return code


def badge_name(code: str) -> str:
    """The badge's name as members see it."""
    from loyalty.models import Badge

    badge = Badge.objects.filter(code=code).first()
    return str(badge.name) if badge is not None else code


def member_tier_ranks(user_ids: Iterable[int]) -> dict[int, int]:
    """{user_id: rank of the member's current tier}, 0 without a tier."""
    from loyalty.models import MemberTier

    ranks = {tier.pk: rank for rank, tier in enumerate(_ladder(), start=1)}
    rows = MemberTier.objects.filter(user_id__in=set(user_ids), tier__isnull=False)
    return {row.user_id: ranks.get(row.tier_id, 0) for row in rows.only("user_id", "tier_id")}


def member_badge_codes(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """{user_id: codes of the badges the member holds}. One query."""
    from loyalty.models import MemberBadge

    codes: dict[int, set[str]] = {}
    rows = MemberBadge.objects.filter(user_id__in=set(user_ids)).values_list(
        "user_id", "badge__code"
    )
    for user_id, code in rows:
        codes.setdefault(user_id, set()).add(code)
    return codes


def member_tier_rank(user_id: int) -> int:
    return member_tier_ranks([user_id]).get(user_id, 0)


def member_badges(user_id: int) -> set[str]:
    return member_badge_codes([user_id]).get(user_id, set())


@dataclass
class Standing:
    """What eligibility asks of one member: read once, only if a drop needs it."""

    user_id: int
    _rank: int | None = None
    _badges: set[str] | None = field(default=None)

    @property
    def rank(self) -> int:
        if self._rank is None:
            self._rank = member_tier_rank(self.user_id)
        return self._rank

    @property
    def badges(self) -> set[str]:
        if self._badges is None:
            self._badges = member_badges(self.user_id)
        return self._badges


def drop_admits(*, drop: EarlyAccessDrop, rank, badges) -> bool:
    """Is a member of tier rank `rank` holding `badges` in the drop's
    audience? `rank` and `badges` may be callables, asked only if needed."""
    if drop.audience == DropAudience.SIGNED_IN:
        return True
    if drop.audience == DropAudience.TIER:
        needed = tier_rank(drop.tier)
        if needed is None:
            return False
        return (rank() if callable(rank) else rank) >= needed
    if drop.audience == DropAudience.BADGE:
        return drop.badge in (badges() if callable(badges) else badges)
    return False


def drop_admits_member(*, drop: EarlyAccessDrop, standing: Standing) -> bool:
    return drop_admits(drop=drop, rank=lambda: standing.rank, badges=lambda: standing.badges)


def unlaunched_product_ids(product_ids: Iterable[int], *, now: datetime) -> set[int]:
    """Of these products, the published ones whose public launch is still to
    come (the shop's PRODUCT_LAUNCHES hook; none without the shop)."""
    ids = {int(pk) for pk in product_ids}
    if not ids:
        return set()
    launches = hooks.call_first(hooks.PRODUCT_LAUNCHES, ids, default={}) or {}
    return {pk for pk, launch_at in launches.items() if launch_at is not None and launch_at > now}


# ------------------------------------------------------------ notification
def early_access_notify_due(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Tell each member a drop is open to them, once per member and drop.

    Runs from beat. A drop is due from its opening until its last product
    launches (after that everyone may buy). Members are read in batches of
    `batch_size`; each batch records its notices (EarlyAccessNotice, unique
    per member and drop) and notifications in one transaction, so a second
    run, or two at once, tells no one twice. Members who join the audience
    later (a new tier) are told by a later run. Returns the members told."""
    now = now or timezone.now()
    told = 0
    for drop in EarlyAccessDrop.objects.filter(is_active=True, opens_at__lte=now):
        unlaunched = unlaunched_product_ids(drop.product_ids, now=now)
        if not unlaunched:
            continue
        told += _notify_drop(drop=drop, batch_size=batch_size)
    return told


def _notify_drop(*, drop: EarlyAccessDrop, batch_size: int) -> int:
    if drop.audience == DropAudience.TIER and tier_rank(drop.tier) is None:
        return 0
    told = 0
    members = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(pk__in=EarlyAccessNotice.objects.filter(drop=drop).values("user_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    after = 0
    while True:
        batch = list(members.filter(pk__gt=after)[:batch_size])
        if not batch:
            return told
        after = batch[-1]
        told += _notify_batch(drop=drop, user_ids=batch)


def _notify_batch(*, drop: EarlyAccessDrop, user_ids: list[int]) -> int:
    ranks: dict[int, int] = {}
    badges: dict[int, set[str]] = {}
    if drop.audience == DropAudience.TIER:
        ranks = member_tier_ranks(user_ids)
    elif drop.audience == DropAudience.BADGE:
        badges = member_badge_codes(user_ids)
    eligible = [
        user_id
        for user_id in user_ids
        if drop_admits(drop=drop, rank=ranks.get(user_id, 0), badges=badges.get(user_id, set()))
    ]
    if not eligible:
        return 0
    told = 0
    with transaction.atomic():
        EarlyAccessNotice.objects.bulk_create(
            [EarlyAccessNotice(drop=drop, user_id=user_id) for user_id in eligible],
            ignore_conflicts=True,
        )
        for user_id in eligible:
            # The notification's key makes a concurrent run's second notice a no-op.
            if notify(
                user_id=user_id,
                kind=EARLY_ACCESS,
                key=f"loyalty.early_access:{drop.pk}",
                data={"name": drop.name},
                url=early_access_path(),
            ):
                told += 1
    return told


def early_access_path() -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(None):
        return reverse("loyalty:early_access")
