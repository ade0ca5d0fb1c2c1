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
from core.money import format_money, quantize
from shop.models import Coupon, CouponRedemption, Order, ShippingMethod, Variant
from shop.services.adjustments import OFF_SHIPPING, adjustments_quote

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
            % {"amount": format_money(coupon.minimum_subtotal)},
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


def lines_subtotal(lines: list[tuple[Variant, int]]) -> Decimal:
    return quantize(sum((quantize(variant.price * qty) for variant, qty in lines), ZERO))


def shipping_method_offered(*, method: ShippingMethod, subtotal: Decimal) -> bool:
    """A "free over X" method is a free-shipping offer: it is offered (and
    accepted) only for a subtotal of at least X, never at its base price."""
    if method.kind == ShippingMethod.Kind.FREE_OVER and method.free_over is not None:
        return subtotal >= method.free_over
    return True


def shipping_methods_offered(
    *, methods: list[ShippingMethod], subtotal: Decimal
) -> list[ShippingMethod]:
    return [m for m in methods if shipping_method_offered(method=m, subtotal=subtotal)]


def shipping_method_preselected(
    *, methods: list[ShippingMethod], subtotal: Decimal
) -> ShippingMethod | None:
    """The cheapest of the offered `methods` that delivers (the first by
    position among equals). Pickup costs nothing but asks the shopper to come
    to the shop, so it is preselected only when nothing else is offered."""
    offered = shipping_methods_offered(methods=methods, subtotal=subtotal)
    delivered = [m for m in offered if m.kind != ShippingMethod.Kind.PICKUP] or offered
    return min(delivered, key=lambda m: m.cost_for(subtotal), default=None)


def checkout_quote(
    *,
    lines: list[tuple[Variant, int]],
    shipping_method: ShippingMethod | None,
    coupon: Coupon | None,
    user,
    email: str,
    adjustment_choices: dict[str, str] | None = None,
) -> Quote:
    """The price of an order: what the checkout's summary shows and what
    checkout_place_order charges, so the two cannot differ. Raises
    ApplicationError for a shipping method not offered for this cart
    (shipping_invalid) or a coupon it may not use (coupon_*); the coupon is
    checked before any adjustment provider is asked."""
    subtotal = lines_subtotal(lines)
    if shipping_method is not None and not shipping_method_offered(
        method=shipping_method, subtotal=subtotal
    ):
        raise ApplicationError(_("Choose an available shipping method."), code="shipping_invalid")
    if coupon is not None:
        coupon_validate(coupon=coupon, subtotal=subtotal, user=user, email=email)
    return quote_build(
        lines=lines,
        shipping_method=shipping_method,
        coupon=coupon,
        user=user,
        adjustment_choices=adjustment_choices,
    )


def quote_build(
    *,
    lines: list[tuple[Variant, int]],
    shipping_method: ShippingMethod | None,
    coupon: Coupon | None,
    user=None,
    adjustment_choices: dict[str, str] | None = None,
) -> Quote:
    """The arithmetic alone, for any lines (the cart page's subtotal too).
    An order is priced by checkout_quote, which also checks the choices."""
    quote_lines = [
        QuoteLine(variant, qty, variant.price, quantize(variant.price * qty))
        for variant, qty in lines
    ]
    subtotal = lines_subtotal(lines)
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
    # What other apps take off (loyalty points, a reward) comes in through a
    # hook: off the goods, or off the shipping (never taxed). The shipping
    # total stays the method's cost; what came off it is a discount line.
    quote.adjustments = adjustments_quote(
        user=user, subtotal=subtotal - discount, choices=adjustment_choices, shipping=shipping
    )
    shipping_off = ZERO
    for adjustment in quote.adjustments:
        if adjustment.off == OFF_SHIPPING:
            shipping_off += adjustment.amount
        else:
            discount += adjustment.amount
        quote.discounts.append((adjustment.label, adjustment.amount))

    taxable = subtotal - discount
    if settings.SHOP_PRICES_INCLUDE_TAX:
        tax = quantize(taxable * tax_rate() / (1 + tax_rate()))
        total = taxable + shipping - shipping_off
    else:
        tax = quantize(taxable * tax_rate())
        total = taxable + tax + shipping - shipping_off
    discount += shipping_off
    quote.discount_total = quantize(discount)
    quote.shipping_total = quantize(shipping)
    quote.tax_total = tax
    quote.total = quantize(total)
    return quote
