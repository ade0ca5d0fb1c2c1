"""Early access, read: the shop's PRODUCT_EARLY_ACCESS answer and the
member's Early Access page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from core import hooks
from core.money import format_money
from loyalty.models import DropAudience, EarlyAccessDrop
from loyalty.services.early_access import (
    Standing,
    badge_name,
    drop_admits_member,
    tier_name,
    unlaunched_product_ids,
)

_MEMO = "_loyalty_early_access"


def _live_drops(*, now: datetime, opened_only: bool) -> list[EarlyAccessDrop]:
    drops = EarlyAccessDrop.objects.filter(is_active=True)
    if opened_only:
        drops = drops.filter(opens_at__lte=now)
    return list(
        drops.only(
            "pk", "name", "description", "product_ids", "opens_at", "audience", "tier", "badge"
        )
    )


def early_access_product_ids(user) -> set[int]:
    """The PRODUCT_EARLY_ACCESS hook (core/hooks.py): the products not
    launched yet that a drop open now opens to this member.

    Kept on the user object, which lives for one request (as the shop's
    memo and Django's permission cache are): at most two queries a request,
    the open drops and the shop's launch dates of their products, plus the
    member's tier or badges when a drop asks for them."""
    if user is None or not user.is_authenticated:
        return set()
    memo = getattr(user, _MEMO, None)
    if memo is not None:
        return set(memo)
    now = timezone.now()
    standing = Standing(user_id=user.pk)
    candidates: set[int] = set()
    for drop in _live_drops(now=now, opened_only=True):
        if drop.product_ids and drop_admits_member(drop=drop, standing=standing):
            candidates.update(int(pk) for pk in drop.product_ids)
    ids = frozenset(unlaunched_product_ids(candidates, now=now))
    setattr(user, _MEMO, ids)
    return set(ids)


# ------------------------------------------------------------------ page
@dataclass
class DropCard:
    drop: EarlyAccessDrop
    state: str  # "open", "soon" (open to the member later) or "locked"
    products: list[dict] = field(default_factory=list)
    requirement: str = ""  # what unlocks a locked drop

    @property
    def name(self) -> str:
        return self.drop.name


def early_access_page(*, user) -> dict[str, list[DropCard]]:
    """The drops whose products are still to launch, for this member: open
    now, opening for them later, and locked (a higher tier or a badge
    unlocks them), each with its products' cards. A fixed number of
    queries whatever the number of drops and products: the drops, the
    shop's cards (PRODUCT_CARDS), the member's tier and badges."""
    now = timezone.now()
    drops = [drop for drop in _live_drops(now=now, opened_only=False) if drop.product_ids]
    wanted = list(dict.fromkeys(int(pk) for drop in drops for pk in drop.product_ids))
    cards = hooks.call_first(hooks.PRODUCT_CARDS, wanted, default=[]) if wanted else []
    by_id = {}
    for card in cards or []:
        if card.get("launch_at") is not None and card["launch_at"] > now:
            by_id[card["id"]] = {**card, "price_display": format_money(card["price"])}
    standing = Standing(user_id=user.pk)
    page: dict[str, list[DropCard]] = {"open": [], "soon": [], "locked": []}
    for drop in drops:
        products = [by_id[int(pk)] for pk in drop.product_ids if int(pk) in by_id]
        if not products:
            continue
        if not drop_admits_member(drop=drop, standing=standing):
            page["locked"].append(
                DropCard(
                    drop=drop, state="locked", products=products, requirement=_requirement(drop)
                )
            )
        elif drop.opens_at <= now:
            page["open"].append(DropCard(drop=drop, state="open", products=products))
        else:
            page["soon"].append(DropCard(drop=drop, state="soon", products=products))
    return page


def _requirement(drop: EarlyAccessDrop) -> str:
    if drop.audience == DropAudience.TIER:
        return gettext("Unlocks at %(tier)s and above") % {"tier": tier_name(drop.tier)}
    if drop.audience == DropAudience.BADGE:
        return gettext("Unlocks with the %(badge)s badge") % {"badge": badge_name(drop.badge)}
    return ""


# --------------------------------------------------------------- teaser
@dataclass
class EarlyAccessSummary:
    """The Rewards page's early-access block: the drops still to launch,
    as the Early Access page sorts them."""

    open: list[EarlyAccessDrop] = field(default_factory=list)
    soon: list[EarlyAccessDrop] = field(default_factory=list)
    # (what unlocks them, how many drops), in the order of the drops
    unlocks: list[tuple[str, int]] = field(default_factory=list)

    @property
    def locked_count(self) -> int:
        return sum(count for _requirement, count in self.unlocks)


def _ladder_rank(ladder: list, code: str) -> int | None:
    # As loyalty.services.early_access.tier_rank, over a ladder read once.
    code = (code or "").strip().lower()
    for rank, tier in enumerate(ladder, start=1):
        name = (tier.name_en or "").lower()
        if code in {str(tier.pk), slugify(tier.name_en or ""), name}:
            return rank
    return None


def early_access_summary(
    *,
    ladder: list,
    member_tier_id: int | None,
    badge_codes: set[str],
    badge_names: dict[str, str],
) -> EarlyAccessSummary | None:
    """What the Early Access page holds for a member whose stored tier is
    `member_tier_id` (on `ladder`, lowest first) and who holds
    `badge_codes`, counted without its product cards; None when no drop
    has a product still to launch. Two queries: the drops and the shop's
    launch dates (PRODUCT_LAUNCHES)."""
    now = timezone.now()
    drops = [drop for drop in _live_drops(now=now, opened_only=False) if drop.product_ids]
    unlaunched = unlaunched_product_ids(
        {int(pk) for drop in drops for pk in drop.product_ids}, now=now
    )
    drops = [drop for drop in drops if any(int(pk) in unlaunched for pk in drop.product_ids)]
    if not drops:
        return None
    member_rank = next(
        (rank for rank, tier in enumerate(ladder, start=1) if tier.pk == member_tier_id), 0
    )
    summary = EarlyAccessSummary()
    unlocks: dict[str, int] = {}
    for drop in drops:
        if drop.audience == DropAudience.SIGNED_IN:
            admitted = True
        elif drop.audience == DropAudience.TIER:
            needed = _ladder_rank(ladder, drop.tier)
            admitted = needed is not None and member_rank >= needed
        else:
            admitted = drop.audience == DropAudience.BADGE and drop.badge in badge_codes
        if not admitted:
            requirement = _requirement_from(drop, ladder=ladder, badge_names=badge_names)
            unlocks[requirement] = unlocks.get(requirement, 0) + 1
        elif drop.opens_at <= now:
            summary.open.append(drop)
        else:
            summary.soon.append(drop)
    summary.unlocks = list(unlocks.items())
    return summary


def _requirement_from(drop: EarlyAccessDrop, *, ladder: list, badge_names: dict[str, str]) -> str:
    if drop.audience == DropAudience.TIER:
        rank = _ladder_rank(ladder, drop.tier)
        name = str(ladder[rank - 1].name) if rank is not None else drop.tier
        return gettext("Unlocks at %(tier)s and above") % {"tier": name}
    if drop.audience == DropAudience.BADGE:
        name = badge_names.get(drop.badge, drop.badge)
        return gettext("Unlocks with the %(badge)s badge") % {"badge": name}
    return ""
