"""Loyalty's notification kinds (core.notifications), declared in
LoyaltyConfig.ready(), and the calls that send them."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.notifications import NotificationKind, notification_kind_register, notify
from loyalty.models import TierPeriod

TIER_REACHED = "loyalty.tier_reached"


def _tier_line(data: dict) -> str:
    return gettext("You reached the %(tier)s tier. Enjoy its perks!") % {
        "tier": data.get("tier", "")
    }


KINDS = [
    NotificationKind(
        code=TIER_REACHED,
        label=gettext_lazy("Reaching a new rewards tier"),
        render=_tier_line,
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        notification_kind_register(kind)


def notify_tier_reached(*, user_id: int, tier, now: datetime, period: str) -> None:
    """Once per tier per period (the key names both): a member who drops and
    climbs back in the same period hears of it once."""
    local = timezone.localtime(now)
    period_key = str(local.year) if period == TierPeriod.CALENDAR_YEAR else f"r{local.year}"
    notify(
        user_id=user_id,
        kind=TIER_REACHED,
        key=f"loyalty.tier:{tier.pk}:{period_key}",
        data={"tier": str(tier.name)[:120], "tier_id": tier.pk},
    )
