"""Thin Celery entry points for the shop (services do the work)."""

from __future__ import annotations

from celery import shared_task

from shop import viewcounts  # noqa: F401 - registers flush_product_view_counts
from shop.services.orders import orders_expire_unpaid


@shared_task(acks_late=True, ignore_result=True)
def expire_unpaid_orders() -> int:
    """Beat: cancel unpaid orders whose stock hold ran out, freeing the stock."""
    return orders_expire_unpaid()
