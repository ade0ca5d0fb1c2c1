"""The shop's order events, heard for the tiers' spend basis (imported by
LoyaltyConfig.ready(); core imports only handlers.py modules). Idempotent by
order id: a second delivery changes nothing."""

from __future__ import annotations

from decimal import Decimal

from core.events import subscribe
from loyalty.services.tiers import spend_cancelled, spend_paid, spend_refunded
from shop.events import OrderCancelled, OrderPaid, OrderRefunded


@subscribe(OrderPaid, name="loyalty.tier_spend_paid")
def tier_spend_paid(event: OrderPaid) -> None:
    if event.user_id is None:
        return
    spend_paid(
        order_id=event.order_id,
        user_id=event.user_id,
        total=Decimal(event.total),
        paid_at=event.occurred_at,
    )


@subscribe(OrderRefunded, name="loyalty.tier_spend_refunded")
def tier_spend_refunded(event: OrderRefunded) -> None:
    if event.user_id is None:
        return
    spend_refunded(
        order_id=event.order_id,
        user_id=event.user_id,
        refunded_total=Decimal(event.refunded_total),
    )


@subscribe(OrderCancelled, name="loyalty.tier_spend_cancelled")
def tier_spend_cancelled(event: OrderCancelled) -> None:
    if event.user_id is None or not event.was_paid:
        return
    spend_cancelled(order_id=event.order_id, user_id=event.user_id)
