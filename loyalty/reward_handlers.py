"""Loyalty's reactions to the shop's events about orders that used a
reward code (idempotent, as every handler)."""

from __future__ import annotations

from core.events import subscribe
from loyalty.services.rewards import reward_order_placed
from shop.events import OrderPlaced


@subscribe(OrderPlaced, name="loyalty.reward_order_number")
def reward_order_number(event: OrderPlaced) -> None:
    if not any(line.get("code") == "loyalty.reward" for line in event.adjustments):
        return
    reward_order_placed(order_id=event.order_id, number=event.number, user_id=event.user_id)
