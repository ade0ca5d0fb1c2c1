"""The program's notification kinds (core.notifications), declared in
LoyaltyConfig.ready(), and the calls that send them. Each notification stores
what its line needs, so the list renders without a query per line; keys make
a second call a no-op."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.notifications import Delivery, NotificationKind, notification_kind_register, notify
from loyalty.models import TierPeriod

BADGE = "loyalty.badge"
CHALLENGE = "loyalty.challenge"
TIER_REACHED = "loyalty.tier_reached"
EARLY_ACCESS = "loyalty.early_access"
REWARDS_URL = "/rewards/"


def _tier_line(data: dict) -> str:
    return gettext("You reached the %(tier)s tier. Enjoy its perks!") % {
        "tier": data.get("tier", "")
    }


KINDS = [
    NotificationKind(
        code=BADGE,
        label=gettext_lazy("Badges you earn"),
        render=lambda data: gettext("You earned the badge “%(name)s”") % {"name": data["name"]},
        default=Delivery.WEB,
    ),
    NotificationKind(
        code=CHALLENGE,
        label=gettext_lazy("Challenges you complete"),
        render=lambda data: (
            gettext("You completed the challenge “%(name)s” and earned %(points)s points")
            % {"name": data["name"], "points": data["points"]}
            if data.get("points")
            else gettext("You completed the challenge “%(name)s”") % {"name": data["name"]}
        ),
        default=Delivery.WEB,
    ),
    NotificationKind(
        code=EARLY_ACCESS,
        label=gettext_lazy("Early access open to you"),
        render=lambda data: (
            gettext("Early access: “%(name)s” is open to you before its launch.")
            % {"name": data.get("name", "")}
        ),
    ),
    NotificationKind(
        code=TIER_REACHED,
        label=gettext_lazy("Reaching a new rewards tier"),
        render=_tier_line,
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        notification_kind_register(kind)


def notify_badge(held) -> None:
    notify(
        user_id=held.user_id,
        kind=BADGE,
        key=f"badge:{held.badge_id}",
        data={"name": held.badge.name, "level": held.badge.level},
        url=REWARDS_URL,
    )


def notify_challenge(completion) -> None:
    challenge = completion.challenge
    notify(
        user_id=completion.user_id,
        kind=CHALLENGE,
        key=f"challenge:{challenge.pk}",
        data={"name": challenge.name, "points": challenge.bonus_points},
        url=REWARDS_URL,
    )


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
        url=REWARDS_URL,
    )
