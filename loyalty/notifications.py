"""The program's notification kinds (core.notifications), declared in
LoyaltyConfig.ready(), and the calls that send them. Each notification stores
what its line needs, so the list renders without a query per line; keys make
a second call a no-op."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from core.notifications import (
    Delivery,
    Notice,
    NotificationKind,
    notification_kind_register,
    notify,
    notify_many,
)
from loyalty.models import TierPeriod

BADGE = "loyalty.badge"
CHALLENGE = "loyalty.challenge"
TIER_REACHED = "loyalty.tier_reached"
EARLY_ACCESS = "loyalty.early_access"
POINTS_EXPIRING = "loyalty.points_expiring"
BOUNTY_WON = "loyalty.bounty_won"
BOUNTY_CLOSED = "loyalty.bounty_closed"
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


def _bounty_won_line(data: dict) -> str:
    return gettext("You received %(points)s points for your answer to “%(title)s”.") % {
        "points": data.get("points", ""),
        "title": data.get("title", ""),
    }


def _bounty_closed_line(data: dict) -> str:
    values = {"points": data.get("points", ""), "title": data.get("title", "")}
    outcome = data.get("outcome", "")
    if outcome in ("accepted", "top_voted"):
        return (
            gettext("Your bounty of %(points)s points on “%(title)s” went to an answer.") % values
        )
    if outcome == "own_answer":
        return (
            gettext(
                "The accepted answer to “%(title)s” cannot receive your bounty: "
                "its %(points)s points are back."
            )
            % values
        )
    if outcome == "no_answer":
        return (
            gettext(
                "Your bounty on “%(title)s” ended without an answer with a vote: "
                "its %(points)s points are back."
            )
            % values
        )
    if outcome == "question_removed":
        return (
            gettext("“%(title)s” was removed: your bounty's %(points)s points are back.") % values
        )
    line = gettext("Your bounty's %(points)s points on “%(title)s” are back.") % values
    note = data.get("note", "")
    return f"{line} {note}" if note else line


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
        code=BOUNTY_WON,
        label=gettext_lazy("Bounties your answers receive"),
        render=_bounty_won_line,
    ),
    NotificationKind(
        code=BOUNTY_CLOSED,
        label=gettext_lazy("What became of the bounties you offered"),
        render=_bounty_closed_line,
        default=Delivery.WEB,
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
    notify_badges([held])


def notify_badges(held_badges) -> None:
    """Each member hears of the badge they were given (one write for all)."""
    notify_many(
        [
            Notice(
                user_id=held.user_id,
                kind=BADGE,
                key=f"badge:{held.badge_id}",
                data={"name": held.badge.name, "level": held.badge.level},
                url=REWARDS_URL,
            )
            for held in held_badges
        ]
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


def notify_bounty_won(*, bounty, title: str, url: str) -> None:
    notify(
        user_id=bounty.winner_id,
        kind=BOUNTY_WON,
        key=f"bounty:{bounty.pk}:won",
        data={"points": bounty.points, "title": title[:200]},
        url=url,
    )


def notify_bounty_closed(*, bounty, title: str, url: str) -> None:
    """The offerer hears where their points went (paid or given back)."""
    notify(
        user_id=bounty.offerer_id,
        kind=BOUNTY_CLOSED,
        key=f"bounty:{bounty.pk}:closed",
        data={
            "points": bounty.points,
            "title": title[:200],
            "outcome": bounty.outcome,
            "note": bounty.note[:300],
        },
        url=url,
    )
