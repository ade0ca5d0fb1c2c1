"""The notification centre: one service every app calls.

    from core.notifications import notify

    notify(user_id=order.user_id, kind="shop.order_status",
           key=f"shop.order:{order.pk}:paid", data={"number": order.number},
           url="/shop/orders/KP-1/")

Apps declare their kinds (NotificationKind, notification_kind_register) in
AppConfig.ready(); members choose per kind how they hear of it (Delivery);
INSTANT kinds email through the mail outbox, DAILY ones in the hourly
digest task's once-a-day email."""

from __future__ import annotations

from core.notifications.kinds import (
    Delivery,
    NotificationKind,
    notification_kind_register,
    notification_kinds,
)
from core.notifications.services import Notice, notify, notify_many

__all__ = [
    "Delivery",
    "Notice",
    "NotificationKind",
    "notification_kind_register",
    "notification_kinds",
    "notify",
    "notify_many",
]
