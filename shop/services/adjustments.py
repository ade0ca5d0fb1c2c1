"""Checkout adjustments: amounts other apps take off an order (points, say),
quoted with the cart, applied in the order's own transaction and released
when the order is cancelled or refunded.

A provider is registered under core.hooks.CHECKOUT_ADJUSTMENTS (see there
for its three methods). The shop never knows what an adjustment is; it only
keeps the line, its amount and what the provider asked it to keep."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core import hooks
from core.exceptions import ApplicationError
from core.money import quantize
from shop.models import Order, OrderAdjustment

logger = logging.getLogger(__name__)

ZERO = Decimal("0")


OFF_GOODS = "goods"
OFF_SHIPPING = "shipping"


@dataclass
class QuotedAdjustment:
    code: str
    label: str
    amount: Decimal
    data: dict = field(default_factory=dict)
    # What it comes off: the goods, or (a provider that takes_shipping) the
    # shipping cost.
    off: str = OFF_GOODS


def adjustment_providers() -> dict[str, object]:
    return {provider.code: provider for provider in hooks.get_hooks(hooks.CHECKOUT_ADJUSTMENTS)}


def _takes_shipping(provider) -> bool:
    return bool(getattr(provider, "takes_shipping", False))


def adjustments_quote(
    *, user, subtotal: Decimal, choices: dict[str, str] | None, shipping: Decimal = ZERO
) -> list[QuotedAdjustment]:
    """What each provider would take off `subtotal` (what is left after the
    coupon) for what the shopper chose, or off `shipping` (the method's cost
    after the coupon) for a provider that takes_shipping. The amounts off
    the goods together never exceed `subtotal`, those off the shipping never
    `shipping`: an order cannot go below zero."""
    choices = choices or {}
    quoted: list[QuotedAdjustment] = []
    left, shipping_left = subtotal, shipping
    for code, provider in adjustment_providers().items():
        asked = {"user": user, "subtotal": left, "choice": str(choices.get(code, ""))}
        if _takes_shipping(provider):
            asked["shipping"] = shipping_left
        answer = provider.quote(**asked)
        if not answer:
            continue
        off = OFF_SHIPPING if answer.get("off") == OFF_SHIPPING else OFF_GOODS
        if off == OFF_SHIPPING and not _takes_shipping(provider):
            off = OFF_GOODS
        cap = shipping_left if off == OFF_SHIPPING else left
        amount = min(quantize(Decimal(str(answer["amount"]))), cap)
        if amount <= 0:
            continue
        quoted.append(
            QuotedAdjustment(
                code=code,
                label=str(answer["label"])[:200],
                amount=amount,
                data=dict(answer.get("data") or {}),
                off=off,
            )
        )
        if off == OFF_SHIPPING:
            shipping_left -= amount
        else:
            left -= amount
    return quoted


def adjustment_fields(
    *,
    user,
    subtotal: Decimal,
    choices: dict[str, str] | None,
    quoted: list[QuotedAdjustment],
    shipping: Decimal = ZERO,
) -> list[dict]:
    """What the checkout page asks for each provider that has a `field`,
    each told the subtotal (and, if it takes_shipping, the shipping) it was
    quoted on: what the ones before it left."""
    choices = choices or {}
    taken = {adjustment.code: adjustment for adjustment in quoted}
    fields = []
    left, shipping_left = subtotal, shipping
    for code, provider in adjustment_providers().items():
        ask = getattr(provider, "field", None)
        spec = None
        if ask:
            asked = {"user": user, "subtotal": left, "choice": str(choices.get(code, ""))}
            if _takes_shipping(provider):
                asked["shipping"] = shipping_left
            spec = ask(**asked)
        if spec:
            fields.append({**spec, "code": code, "name": f"adjustment-{code}"})
        adjustment = taken.get(code)
        if adjustment is not None and adjustment.off == OFF_SHIPPING:
            shipping_left -= adjustment.amount
        elif adjustment is not None:
            left -= adjustment.amount
    return fields


def adjustments_apply(*, order: Order, quoted: list[QuotedAdjustment]) -> list[OrderAdjustment]:
    """Apply each quoted adjustment to `order`. Call inside the transaction
    that creates the order: a provider that refuses (ApplicationError) fails
    the whole checkout, and nothing it or the shop wrote is kept."""
    providers = adjustment_providers()
    rows = []
    for adjustment in quoted:
        provider = providers.get(adjustment.code)
        if provider is None:
            raise ApplicationError(
                _("This discount is no longer available; review your order."),
                code="adjustment_unavailable",
            )
        kept = provider.apply(
            order_id=order.pk,
            user_id=order.user_id,
            amount=adjustment.amount,
            data=dict(adjustment.data),
        )
        rows.append(
            OrderAdjustment(
                order=order,
                code=adjustment.code,
                label=adjustment.label,
                amount=adjustment.amount,
                data={
                    **adjustment.data,
                    **(kept or {}),
                    **({"off": OFF_SHIPPING} if adjustment.off == OFF_SHIPPING else {}),
                },
            )
        )
    return OrderAdjustment.objects.bulk_create(rows)


def adjustments_release(*, order: Order, refunded: Decimal | None = None, reason: str) -> None:
    """Give back what the order's adjustments took: everything still held
    (a cancellation, a full refund: `refunded` None), or the share of a
    partial refund of `refunded` out of the order's total. Call inside the
    transaction holding the order's row lock, so a release happens once."""
    providers = adjustment_providers()
    for adjustment in order.adjustments.select_for_update().order_by("pk"):
        if adjustment.unreleased <= 0:
            continue
        if refunded is None or not order.total:
            amount = adjustment.unreleased
        else:
            amount = min(
                quantize(adjustment.amount * refunded / order.total), adjustment.unreleased
            )
        if amount <= 0:
            continue
        provider = providers.get(adjustment.code)
        if provider is None:
            # Kept as held: a provider registered again later can be released
            # by staff; the order's history says why nothing came back.
            logger.warning(
                "adjustment not released: no provider",
                extra={"order": order.number, "code": adjustment.code},
            )
            continue
        provider.release(
            order_id=order.pk,
            user_id=order.user_id,
            amount=amount,
            data=dict(adjustment.data),
            reason=reason,
        )
        adjustment.released_amount += amount
        adjustment.save(update_fields=["released_amount"])


def shipping_paid(order: Order) -> Decimal:
    """The shipping cost less what adjustments took off it (a free-shipping
    reward): what the shopper paid for shipping."""
    off = sum(
        (a.amount for a in order.adjustments.all() if a.data.get("off") == OFF_SHIPPING),
        ZERO,
    )
    return max(order.shipping_total - off, ZERO)


def adjustment_lines(order: Order) -> list[dict]:
    """The adjustments as they travel in events and the API."""
    from shop.events import money

    return [
        {
            "code": adjustment.code,
            "label": adjustment.label,
            "amount": money(adjustment.amount),
            "released_amount": money(adjustment.released_amount),
        }
        for adjustment in order.adjustments.order_by("pk")
    ]
