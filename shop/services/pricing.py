"""Prices are computed on the server from the database, never taken from
the client. All arithmetic is Decimal, rounded to the currency's unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.money import quantize
from shop.models import Coupon, CouponRedemption, Order, ShippingMethod, Variant
from shop.services.adjustments import adjustments_quote

ZERO = Decimal("0")


@dataclass
class QuoteLine:
    variant: Variant
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass
class Quote:
    lines: list[QuoteLine]
    subtotal: Decimal
    discount_total: Decimal = ZERO
    shipping_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    coupon: Coupon | None = None
    discounts: list[tuple[str, Decimal]] = field(default_factory=list)
    # What other apps take off (core.hooks.CHECKOUT_ADJUSTMENTS), also listed
    # in `discounts` for the summary.
    adjustments: list = field(default_factory=list)


def tax_rate() -> Decimal:
    return Decimal(str(settings.SHOP_TAX_RATE))


def coupon_validate(*, coupon: Coupon, subtotal: Decimal, user, email: str) -> None:
    """Raise ApplicationError with a message the shopper understands."""
    now = timezone.now()
    if not coupon.is_active or (coupon.valid_from and now < coupon.valid_from):
        raise ApplicationError(_("This coupon is not valid."), code="coupon_invalid")
    if coupon.valid_until and now > coupon.valid_until:
        raise ApplicationError(_("This coupon has expired."), code="coupon_expired")
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        raise ApplicationError(_("This coupon has been used up."), code="coupon_used_up")
    if subtotal < coupon.minimum_subtotal:
        raise ApplicationError(
            _("This coupon needs an order of at least %(amount)s.")
            % {"amount": coupon.minimum_subtotal},
            code="coupon_minimum",
        )
    signed_in = user is not None and user.is_authenticated
    who = Q(email__iexact=email) | (Q(user=user) if signed_in else Q())
    if coupon.usage_limit_per_user is not None:
        # A guest order later claimed by the account counts as the account's.
        redeemed_by = who | (Q(order__user=user) if signed_in else Q())
        used = CouponRedemption.objects.filter(redeemed_by, coupon=coupon).count()
        if used >= coupon.usage_limit_per_user:
            raise ApplicationError(
                _("You have already used this coupon."), code="coupon_used_by_you"
            )
    if coupon.first_order_only:
        orders = Order.objects.filter(who).exclude(status=Order.Status.CANCELLED)
        if orders.exists():
            raise ApplicationError(
                _("This coupon is for a first order only."), code="coupon_first_order"
            )


def quote_build(
    *,
    lines: list[tuple[Variant, int]],
    shipping_method: ShippingMethod | None,
    coupon: Coupon | None,
    user=None,
    adjustment_choices: dict[str, str] | None = None,
) -> Quote:
    quote_lines = [
        QuoteLine(variant, qty, variant.price, quantize(variant.price * qty))
        for variant, qty in lines
    ]
    subtotal = quantize(sum((line.line_total for line in quote_lines), ZERO))
    quote = Quote(lines=quote_lines, subtotal=subtotal, coupon=coupon)

    shipping = shipping_method.cost_for(subtotal) if shipping_method else ZERO
    discount = ZERO
    if coupon is not None:
        if coupon.kind == Coupon.Kind.PERCENT:
            discount = quantize(subtotal * coupon.value / Decimal(100))
        elif coupon.kind == Coupon.Kind.FIXED:
            discount = min(coupon.value, subtotal)
        elif coupon.kind == Coupon.Kind.FREE_SHIPPING:
            shipping = ZERO
        if discount:
            quote.discounts.append((coupon.code, discount))
    # What other apps take off (loyalty points) comes in through a hook.
    quote.adjustments = adjustments_quote(
        user=user, subtotal=subtotal - discount, choices=adjustment_choices
    )
    for adjustment in quote.adjustments:
        discount += adjustment.amount
        quote.discounts.append((adjustment.label, adjustment.amount))

    taxable = subtotal - discount
    if settings.SHOP_PRICES_INCLUDE_TAX:
        tax = quantize(taxable * tax_rate() / (1 + tax_rate()))
        total = taxable + shipping
    else:
        tax = quantize(taxable * tax_rate())
        total = taxable + tax + shipping
    quote.discount_total = quantize(discount)
    quote.shipping_total = quantize(shipping)
    quote.tax_total = tax
    quote.total = quantize(total)
    return quote
