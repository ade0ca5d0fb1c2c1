"""Loyalty's notification kinds (core.notifications)."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy

from core.notifications import NotificationKind, notification_kind_register

EARLY_ACCESS = "loyalty.early_access"

KINDS = [
    NotificationKind(
        code=EARLY_ACCESS,
        label=gettext_lazy("Early access open to you"),
        render=lambda data: (
            gettext("Early access: “%(name)s” is open to you before its launch.")
            % {"name": data.get("name", "")}
        ),
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        notification_kind_register(kind)
