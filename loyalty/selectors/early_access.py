"""Early access, read: the shop's PRODUCT_EARLY_ACCESS answer and the
member's Early Access page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
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
