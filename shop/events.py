"""The public contract of the shop: events other apps (loyalty, community)
may subscribe to. Fields are primitives; money travels as a decimal string
with exactly two places ("215000.00"), made by `money()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.events import DomainEvent

CENTS = Decimal("0.01")


def money(amount: Decimal | int | str) -> str:
    """An amount as it travels in an event: a plain decimal string with two
    places whatever the currency, so "215000" and "215000.00" never both
    appear and a consumer can compare or parse them alike."""
    return str(Decimal(amount).quantize(CENTS, rounding=ROUND_HALF_UP))


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent, name="shop.order_placed"):
    order_id: int
    number: str
    user_id: int | None
    email: str
    total: str
    currency: str
    product_ids: list[int]
    # Every order event: its place among the order's events (1, 2, ...).
    sequence: int = 0
    # [{"product_id", "variant_id", "sku", "quantity", "unit_price",
    #   "line_total"}] and [{"code", "label", "amount", "released_amount"}]
    lines: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OrderPaid(DomainEvent, name="shop.order_paid"):
    order_id: int
    number: str
    user_id: int | None
    total: str
    currency: str
    product_ids: list[int]
    # Every order event: its place among the order's events (1, 2, ...).
    sequence: int = 0
    # [{"product_id", "variant_id", "sku", "quantity", "unit_price",
    #   "line_total"}] and [{"code", "label", "amount", "released_amount"}]
    lines: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    shipping: str = "0.00"  # the shipping part of `total` (what was paid for it)


@dataclass(frozen=True, kw_only=True)
class OrderFulfilled(DomainEvent, name="shop.order_fulfilled"):
    order_id: int
    user_id: int | None
    carrier: str
    tracking_number: str
    sequence: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(DomainEvent, name="shop.order_delivered"):
    order_id: int
    user_id: int | None
    sequence: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderCompleted(DomainEvent, name="shop.order_completed"):
    order_id: int
    user_id: int | None
    sequence: int = 0


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent, name="shop.order_cancelled"):
    order_id: int
    user_id: int | None
    was_paid: bool
    # Every order event: its place among the order's events (1, 2, ...).
    sequence: int = 0
    # [{"product_id", "variant_id", "sku", "quantity", "unit_price",
    #   "line_total"}] and [{"code", "label", "amount", "released_amount"}]
    lines: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(DomainEvent, name="shop.order_refunded"):
    order_id: int
    user_id: int | None
    amount: str
    refunded_total: str
    full: bool
    # Every order event: its place among the order's events (1, 2, ...).
    sequence: int = 0
    # [{"product_id", "variant_id", "sku", "quantity", "unit_price",
    #   "line_total"}] and [{"code", "label", "amount", "released_amount"}]
    lines: list[dict] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OrderRefundDue(DomainEvent, name="shop.order_refund_due"):
    """The shop holds money for an order that will not ship (a payment that
    arrived after the order was cancelled, or a paid order cancelled):
    staff must return `amount` to the shopper."""

    order_id: int
    number: str
    user_id: int | None
    amount: str
    currency: str
    reason: str
    sequence: int = 0


@dataclass(frozen=True, kw_only=True)
class VariantBackInStock(DomainEvent, name="shop.variant_back_in_stock"):
    variant_id: int
    product_id: int
