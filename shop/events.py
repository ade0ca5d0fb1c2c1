"""The public contract of the shop: events other apps (loyalty, community)
may subscribe to. Fields are primitives; money travels as a decimal string."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    order_id: int
    number: str
    user_id: int | None
    email: str
    total: str
    currency: str
    product_ids: list[int]


@dataclass(frozen=True, kw_only=True)
class OrderPaid(DomainEvent):
    order_id: int
    number: str
    user_id: int | None
    total: str
    currency: str
    product_ids: list[int]


@dataclass(frozen=True, kw_only=True)
class OrderFulfilled(DomainEvent):
    order_id: int
    user_id: int | None
    carrier: str
    tracking_number: str


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(DomainEvent):
    order_id: int
    user_id: int | None


@dataclass(frozen=True, kw_only=True)
class OrderCompleted(DomainEvent):
    order_id: int
    user_id: int | None


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(DomainEvent):
    order_id: int
    user_id: int | None
    was_paid: bool


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(DomainEvent):
    order_id: int
    user_id: int | None
    amount: str
    refunded_total: str
    full: bool


@dataclass(frozen=True, kw_only=True)
class VariantBackInStock(DomainEvent):
    variant_id: int
    product_id: int
