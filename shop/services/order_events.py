"""What every order event carries besides its own fields: the order's line
items and a per-order sequence number."""

from __future__ import annotations

from shop.events import money
from shop.models import Order


def order_event_lines(order: Order) -> list[dict]:
    """The order's line items as they travel in events."""
    return [
        {
            "product_id": product_id,
            "variant_id": variant_id,
            "sku": sku,
            "quantity": quantity,
            "unit_price": money(unit_price),
            "line_total": money(line_total),
        }
        for product_id, variant_id, sku, quantity, unit_price, line_total in order.lines.order_by(
            "pk"
        ).values_list(
            "variant__product_id", "variant_id", "sku", "quantity", "unit_price", "line_total"
        )
    ]


def order_next_sequence(order: Order) -> int:
    """The sequence number of the next event about `order`. Call with the
    order's row locked, in the transaction that publishes the event."""
    order.event_sequence += 1
    Order.objects.filter(pk=order.pk).update(event_sequence=order.event_sequence)
    return order.event_sequence
