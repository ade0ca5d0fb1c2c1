"""The program's notification kinds (core.notifications), declared in
LoyaltyConfig.ready(), and the calls that send them. Each notification stores
what its line needs, so the list renders without a query per line; keys make
a second call a no-op."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from core.notifications import Delivery, NotificationKind, notification_kind_register, notify
from loyalty.models import TierPeriod

BADGE = "loyalty.badge"
CHALLENGE = "loyalty.challenge"
TIER_REACHED = "loyalty.tier_reached"
EARLY_ACCESS = "loyalty.early_access"
POINTS_EXPIRING = "loyalty.points_expiring"
REWARDS_URL = "/rewards/"


def _tier_line(data: dict) -> str:
    return gettext("You reached the %(tier)s tier. Enjoy its perks!") % {
        "tier": data.get("tier", "")
    }


def _expiring_line(data: dict) -> str:
    points = int(data.get("points", 0))
    try:
        on = formats.date_format(date.fromisoformat(data.get("on", "")), "DATE_FORMAT")
    except ValueError:
        on = data.get("on", "")
    return ngettext(
        "%(points)s point expires on %(date)s. Earn or spend any points before then to keep it.",
        "%(points)s points expire on %(date)s. Earn or spend any points before then to keep them.",
        points,
    ) % {"points": formats.number_format(points, force_grouping=True), "date": on}


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
    # About the member's own points, so it cannot be switched off (email or
    # the site only, as the member chooses).
    NotificationKind(
        code=POINTS_EXPIRING,
        label=gettext_lazy("Points about to expire"),
        render=_expiring_line,
        mutable=False,
        description=gettext_lazy(
            "A reminder before points you have not used expire; earning or spending "
            "any points keeps them."
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


def notify_points_expiring(
    *, user_id: int, points: int, on: date, idle_since: datetime, reminded_at: datetime
) -> None:
    """Called once per reminder (loyalty.services.expiry decides, under the
    account's lock); the key names the idle spell and the reminder, so the
    same reminder recorded twice is one notification."""
    notify(
        user_id=user_id,
        kind=POINTS_EXPIRING,
        key=f"loyalty.expiry:{int(idle_since.timestamp())}:{int(reminded_at.timestamp())}",
        data={"points": points, "on": on.isoformat()},
        url=REWARDS_URL,
    )
