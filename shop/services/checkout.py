"""Placing an order: the one place where cart, coupon, stock and money meet."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import publish
from core.exceptions import ApplicationError
from shop import payments
from shop.events import OrderPlaced, money
from shop.models import (
    Cart,
    Coupon,
    CouponRedemption,
    Order,
    OrderHistory,
    OrderLine,
    ShippingMethod,
    Variant,
)
from shop.models.wishlist import current_language
from shop.services.adjustments import adjustment_lines, adjustments_apply
from shop.services.cart import cart_lines_purchasable_check
from shop.services.order_events import order_event_lines
from shop.services.pricing import (
    Quote,
    checkout_quote,
    lines_subtotal,
    shipping_method_preselected,
    shipping_methods_offered,
)
from shop.services.stock import stock_reserve

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The refusals of checkout_quote that belong to the coupon field.
COUPON_CODES = frozenset(
    {
        "coupon_invalid",
        "coupon_expired",
        "coupon_used_up",
        "coupon_minimum",
        "coupon_used_by_you",
        "coupon_first_order",
    }
)


@dataclass
class ShippingOption:
    method: ShippingMethod
    cost: Decimal


@dataclass
class CheckoutSummary:
    """What the checkout page shows for the shopper's current choices."""

    quote: Quote
    shipping_options: list[ShippingOption]
    shipping_method: ShippingMethod | None
    coupon: Coupon | None = None
    # field name -> why the choice in it does not apply (the summary is
    # priced without it)
    errors: dict[str, str] = field(default_factory=dict)


def checkout_summary(
    *,
    lines: list[tuple[Variant, int]],
    user,
    email: str = "",
    shipping_method_id: int | str | None = None,
    coupon_code: str = "",
    adjustment_choices: dict[str, str] | None = None,
    methods: list[ShippingMethod] | None = None,
) -> CheckoutSummary:
    """The checkout's summary, priced by checkout_quote exactly as
    checkout_place_order will price the order. Refuses nothing: a choice
    that does not apply (a shipping method not offered for this cart, a
    coupon it may not use) is left out and its reason is in `errors`. With no
    shipping method chosen, the cheapest offered one is."""
    email = (email or "").strip().lower()
    if methods is None:
        methods = list(ShippingMethod.objects.filter(is_active=True))
    subtotal = lines_subtotal(lines)
    offered = shipping_methods_offered(methods=methods, subtotal=subtotal)
    errors: dict[str, str] = {}
    chosen = None
    if shipping_method_id not in (None, ""):
        chosen = next((m for m in offered if str(m.pk) == str(shipping_method_id)), None)
        if chosen is None:
            errors["shipping_method"] = _("Choose an available shipping method.")
    if chosen is None:
        chosen = shipping_method_preselected(methods=offered, subtotal=subtotal)

    coupon = None
    coupon_code = (coupon_code or "").strip()
    if coupon_code:
        coupon = Coupon.objects.filter(code__iexact=coupon_code).first()
        if coupon is None:
            errors["coupon_code"] = _("This coupon is not valid.")
    quote_for = {
        "lines": lines,
        "shipping_method": chosen,
        "user": user,
        "email": email,
        "adjustment_choices": adjustment_choices,
    }
    try:
        quote = checkout_quote(coupon=coupon, **quote_for)
    except ApplicationError as exc:
        if coupon is None or exc.code not in COUPON_CODES:
            raise
        errors["coupon_code"] = exc.message
        coupon = None
        quote = checkout_quote(coupon=None, **quote_for)
    return CheckoutSummary(
        quote=quote,
        shipping_options=[ShippingOption(method=m, cost=m.cost_for(subtotal)) for m in offered],
        shipping_method=chosen,
        coupon=coupon,
        errors=errors,
    )


def order_number_generate() -> str:
    stamp = timezone.localdate().strftime("%y%m%d")
    return f"KP{stamp}-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))


def checkout_place_order(
    *,
    cart: Cart,
    user,
    email: str,
    shipping_address: dict,
    shipping_method_id: int | None,
    payment_gateway: str,
    coupon_code: str = "",
    idempotency_key: str | None = None,
    idempotency_fingerprint: str = "",
    note: str = "",
    language: str | None = None,
    adjustment_choices: dict[str, str] | None = None,
) -> Order:
    """Create a pending order from `cart`, holding its stock until payment.

    Idempotent per shopper: the same `idempotency_key` from the same user
    (a guest: the same session's cart) returns the order the first call
    created, even when both calls race; the same key from anyone else is
    another checkout and never answers with that order. With an
    `idempotency_fingerprint` (a digest of what was asked for), the same key
    with another fingerprint is refused (422 idempotency_key_reused). Raises
    SoldOut (409) or ApplicationError (400) and then holds, charges and
    writes nothing.

    Lock order: the key first (so a retry waits for the first call and
    takes no other lock before it finds the order), then the coupon row,
    then the variant rows by pk. The payment (payment_start) locks the order
    and then the variants; a retry that took the variants first and then
    waited on the order's key deadlocked with it.

    `language` (default: the active one, i.e. the request's) is the
    language the shopper's order emails are written in. `adjustment_choices`
    are the shopper's answers to adjustment providers (e.g. points to use)."""
    email = (email or "").strip().lower()
    language = current_language(language)
    scope = idempotency_scope(user=user, cart=cart) if idempotency_key else ""
    with transaction.atomic():
        if idempotency_key:
            _lock_key(scope, idempotency_key)
            existing = _replayed(scope, idempotency_key, idempotency_fingerprint)
            if existing:
                return existing
        return _place_order(
            cart=cart,
            user=user,
            email=email,
            shipping_address=shipping_address,
            shipping_method_id=shipping_method_id,
            payment_gateway=payment_gateway,
            coupon_code=coupon_code,
            idempotency_key=idempotency_key,
            idempotency_scope=scope,
            idempotency_fingerprint=idempotency_fingerprint if idempotency_key else "",
            note=note,
            language=language,
            adjustment_choices=adjustment_choices,
        )


def idempotency_scope(*, user, cart: Cart) -> str:
    """Whose idempotency key it is: the signed-in user, or for a guest the
    session's cart (which only that browser holds)."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"cart:{cart.pk}"


def _lock_key(scope: str, key: str) -> None:
    """Serialise the checkouts that carry one key, until the transaction
    ends. On SQLite, whose write transactions are serial anyway, nothing."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{scope}\x00{key}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def _replayed(scope: str, idempotency_key: str, fingerprint: str) -> Order | None:
    """The order an earlier call with this key placed, if it asked for the
    same thing. Orders placed without a fingerprint (the web checkout's
    double submit) match any."""
    existing = Order.objects.filter(
        idempotency_scope=scope, idempotency_key=idempotency_key
    ).first()
    if (
        existing is not None
        and fingerprint
        and existing.idempotency_fingerprint
        and existing.idempotency_fingerprint != fingerprint
    ):
        raise ApplicationError(
            _(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new checkout."
            ),
            code="idempotency_key_reused",
            status_code=422,
        )
    return existing


def _place_order(
    *,
    cart,
    user,
    email,
    shipping_address,
    shipping_method_id,
    payment_gateway,
    coupon_code,
    idempotency_key,
    idempotency_scope,
    idempotency_fingerprint,
    note,
    language,
    adjustment_choices,
) -> Order:
    if not email:
        raise ApplicationError(
            _("An email address is needed for the order."), code="email_required"
        )
    gateway = payments.get_gateway(payment_gateway)
    lines = list(cart.lines.select_related("variant__product").order_by("variant_id"))
    if not lines:
        raise ApplicationError(_("Your cart is empty."), code="cart_empty")
    cart_lines_purchasable_check(lines=lines, user=user)

    shipping_method = None
    if shipping_method_id is not None:
        shipping_method = ShippingMethod.objects.filter(
            pk=shipping_method_id, is_active=True
        ).first()
        if shipping_method is None:
            raise ApplicationError(
                _("Choose an available shipping method."), code="shipping_invalid"
            )
    elif ShippingMethod.objects.filter(is_active=True).exists():
        raise ApplicationError(_("Choose a shipping method."), code="shipping_required")
    needs_address = shipping_method is None or shipping_method.kind != ShippingMethod.Kind.PICKUP
    if needs_address and not (shipping_address or {}).get("line1"):
        raise ApplicationError(_("A shipping address is needed."), code="address_required")

    # Lock order: coupon row first, then variant rows by pk (stock_reserve).
    coupon = None
    coupon_code = (coupon_code or "").strip()
    if coupon_code:
        coupon = Coupon.objects.select_for_update().filter(code__iexact=coupon_code).first()
        if coupon is None:
            raise ApplicationError(_("This coupon is not valid."), code="coupon_invalid")

    variants = stock_reserve(quantities={line.variant_id: line.quantity for line in lines})
    quote = checkout_quote(
        lines=[(variants[line.variant_id], line.quantity) for line in lines],
        shipping_method=shipping_method,
        coupon=coupon,
        user=user,
        email=email,
        adjustment_choices=adjustment_choices,
    )

    now = timezone.now()
    order = Order.objects.create(
        number=order_number_generate(),
        user=user if user is not None and user.is_authenticated else None,
        email=email,
        currency=payments.store_currency(),
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=quote.shipping_total,
        tax_total=quote.tax_total,
        total=quote.total,
        shipping_method=shipping_method,
        shipping_method_name=shipping_method.name if shipping_method else "",
        shipping_address=shipping_address or {},
        coupon=coupon,
        coupon_code=coupon.code if coupon else "",
        payment_gateway=gateway.code,
        reserved_until=now + timedelta(minutes=gateway.reservation_minutes),
        idempotency_key=idempotency_key or None,
        idempotency_scope=idempotency_scope,
        idempotency_fingerprint=idempotency_fingerprint,
        note=note[:1000],
        language=language,
        event_sequence=1,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant=line.variant,
                product_name=line.variant.product.name,
                sku=line.variant.sku,
                options_label=line.variant.options_label,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in quote.lines
        ]
    )
    OrderHistory.objects.create(
        order=order, to_status=order.status, actor=order.user, note=_("Order placed")
    )
    if coupon is not None:
        coupon.times_used += 1
        coupon.save(update_fields=["times_used", "updated_at"])
        CouponRedemption.objects.create(coupon=coupon, order=order, email=email, user=order.user)
    adjustments_apply(order=order, quoted=quote.adjustments)
    cart.lines.all().delete()
    publish(
        OrderPlaced(
            order_id=order.pk,
            number=order.number,
            user_id=order.user_id,
            email=email,
            total=money(order.total),
            currency=order.currency,
            product_ids=sorted({line.variant.product_id for line in quote.lines}),
            sequence=order.event_sequence,
            lines=order_event_lines(order),
            adjustments=adjustment_lines(order),
        )
    )
    return order
