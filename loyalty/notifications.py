"""The program's notification kinds (core.notifications). Each notification
stores what its line needs, so the list renders without a query per line;
keys make a second call a no-op."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from core.notifications import Delivery, NotificationKind, notification_kind_register, notify

BADGE = "loyalty.badge"
CHALLENGE = "loyalty.challenge"
REWARDS_URL = "/rewards/"

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
