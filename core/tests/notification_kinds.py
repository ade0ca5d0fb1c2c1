"""Kinds of notification a test registers for itself (core.notifications)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.translation import gettext as _

from core.notifications import Delivery, NotificationKind, notification_kind_register
from core.notifications.kinds import notification_kind_unregister


def _reply(data: dict) -> str:
    # "Log in" has an Indonesian translation ("Masuk"): it shows the
    # language a line was rendered in.
    return f"{data['name']} replied to {data['title']} ({_('Log in')})"


REPLY = NotificationKind(code="probe.reply", label="Replies", render=_reply)
DIGESTED = NotificationKind(
    code="probe.digested",
    label="Weekly news",
    render=lambda data: f"News: {data['title']}",
    default=Delivery.DAILY,
)
MODERATION = NotificationKind(
    code="probe.moderation",
    label="Moderation",
    render=lambda data: f"Your post {data['title']} was hidden",
    mutable=False,
)
LISTED_ONLY = NotificationKind(
    code="probe.listed",
    label="Listed",
    render=lambda data: f"Listed {data['title']}",
    email=False,
)
KINDS = (REPLY, DIGESTED, MODERATION, LISTED_ONLY)


@contextmanager
def registered_kinds() -> Iterator[None]:
    for kind in KINDS:
        notification_kind_register(kind)
    try:
        yield
    finally:
        for kind in KINDS:
            notification_kind_unregister(kind.code)
