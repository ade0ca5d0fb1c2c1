from __future__ import annotations

from django.urls import path

from core.notifications import api

urlpatterns = [
    path("", api.NotificationListApi.as_view(), name="notifications"),
    path("read-all/", api.NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path(
        "unread-count/", api.NotificationUnreadCountApi.as_view(), name="notifications-unread-count"
    ),
    path(
        "<int:notification_id>/read/",
        api.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
