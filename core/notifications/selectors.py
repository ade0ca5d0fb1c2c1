"""Reads of the notification centre."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from core.models import Notification, NotificationPreference
from core.notifications.kinds import NotificationKind, notification_kinds

# The header shows "9+" past this many: the count reads at most one more row.
BADGE_MAX = 9


def notification_list(*, user_id: int, unread: bool | None = None) -> QuerySet[Notification]:
    """The member's notifications, newest first (the list index)."""
    queryset = Notification.objects.filter(recipient_id=user_id).order_by("-created_at", "-pk")
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    return queryset


def notification_unread_count(*, user_id: int, limit: int | None = None) -> int:
    """Unread notifications of the member, from the partial unread index;
    with `limit`, counted up to that many (the query stops there)."""
    queryset = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
    if limit is not None:
        queryset = queryset.order_by()[:limit]
    return queryset.count()


@dataclass(frozen=True)
class Bell:
    """The header's bell: the badge text and what a screen reader says."""

    count: int  # exact up to BADGE_MAX, BADGE_MAX + 1 for "more"

    @property
    def badge(self) -> str:
        return f"{BADGE_MAX}+" if self.count > BADGE_MAX else str(self.count)

    @property
    def label(self) -> str:
        if self.count > BADGE_MAX:
            return gettext("More than %(count)d unread notifications") % {"count": BADGE_MAX}
        if not self.count:
            return gettext("No unread notifications")
        return ngettext(
            "%(count)d unread notification", "%(count)d unread notifications", self.count
        ) % {"count": self.count}


def notification_bell(*, user_id: int) -> Bell:
    """One indexed query, reading at most BADGE_MAX + 1 index entries."""
    return Bell(count=notification_unread_count(user_id=user_id, limit=BADGE_MAX + 1))


def notification_preferences(*, user_id: int) -> list[tuple[NotificationKind, str]]:
    """Every kind with the delivery that applies to the member (one query)."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id=user_id).values_list("kind", "delivery")
    )
    return [(kind, kind.effective(chosen.get(kind.code))) for kind in notification_kinds()]
