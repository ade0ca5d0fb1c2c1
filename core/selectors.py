from __future__ import annotations

from celery import current_app
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from core.models import OutboxDelivery


def database_status() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return False, exc.__class__.__name__
    return True, "ok"


def broker_status(*, timeout: float = 2.0) -> tuple[bool, str]:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            # A TCP connect is not enough: a hung Redis accepts connections.
            if hasattr(conn.default_channel, "client"):
                conn.default_channel.client.ping()
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__
    return True, "ok"


LAG_COUNT_CAP = 10_000


def outbox_lag() -> dict:
    """How far behind the outbox is: the age in seconds of the oldest
    pending delivery (None when nothing is pending), and how many are pending
    and dead. Three reads of small partial indexes; the counts stop at
    LAG_COUNT_CAP, so a large backlog costs no more than that."""
    pending = OutboxDelivery.objects.filter(status=OutboxDelivery.Status.PENDING).order_by()
    dead = OutboxDelivery.objects.filter(status=OutboxDelivery.Status.DEAD).order_by()
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "oldest_pending_seconds": (
            None if oldest is None else round((timezone.now() - oldest).total_seconds(), 1)
        ),
        "pending": pending.values("pk")[:LAG_COUNT_CAP].count(),
        "dead": dead.values("pk")[:LAG_COUNT_CAP].count(),
    }
