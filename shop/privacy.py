"""The shop's part of "download my data" and account deletion, registered
in ShopConfig.ready() as the USER_DATA_EXPORT and USER_ANONYMISE hooks.

Deletion keeps orders for the books (amounts, taxes, what was sold, where
it was shipped to the postal-code level) and removes what identifies the
shopper: email, name, street, phone and the free-text note. The order
keeps its link to the user row: after deletion that row holds nothing
personal, and the link is what lets a later refund, chargeback or points
reversal still find the order's account. Only what is linked to the
account is touched: a guest order or stock alert that merely carries the
same email was never proven to be this shopper's (anyone can type any
address at a guest checkout), so deleting an account must not rewrite it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from shop.models import (
    Address,
    Cart,
    CartLine,
    CouponRedemption,
    Order,
    OrderLine,
    Payment,
    StockAlert,
    WishlistItem,
)

SECTION = "shop"
# Blanked in an order's shipping address on deletion; city, region, postal
# code and country stay (tax and shipping reports need them).
ADDRESS_PERSONAL_FIELDS = ("full_name", "phone", "line1", "line2")


def _money(value) -> str | None:
    return None if value is None else str(value)


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def _order(order: Order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "created_at": _when(order.created_at),
        "paid_at": _when(order.paid_at),
        "email": order.email,
        "language": order.language,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "discount_total": _money(order.discount_total),
        "shipping_total": _money(order.shipping_total),
        "tax_total": _money(order.tax_total),
        "total": _money(order.total),
        "refunded_total": _money(order.refunded_total),
        "coupon_code": order.coupon_code,
        "shipping_method": order.shipping_method_name,
        "shipping_address": order.shipping_address or None,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "note": order.note,
        "payment_method": order.payment_gateway,
        "lines": [
            {
                "product": line.product_name,
                "sku": line.sku,
                "options": line.options_label,
                "unit_price": _money(line.unit_price),
                "quantity": line.quantity,
                "line_total": _money(line.line_total),
            }
            for line in order.lines.all()
        ],
        "adjustments": [
            {
                "label": adjustment.label,
                "amount": _money(adjustment.amount),
                "released_amount": _money(adjustment.released_amount),
            }
            for adjustment in order.adjustments.all()
        ],
        "payments": [
            {
                "method": payment.gateway,
                "status": payment.status,
                "amount": _money(payment.amount),
                "created_at": _when(payment.created_at),
            }
            for payment in order.payments.all()
        ],
    }


def user_data_export(user) -> tuple[str, dict]:
    """Everything the shop holds about `user`, in a fixed number of queries
    whatever the number of orders (each relation is prefetched once)."""
    orders = (
        Order.objects.filter(user=user)
        .order_by("created_at", "pk")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            "adjustments",
            Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")),
        )
    )
    addresses = Address.objects.filter(user=user).order_by("created_at", "pk")
    wishlist = (
        WishlistItem.objects.filter(user=user)
        .select_related("product")
        .order_by("created_at", "pk")
    )
    alerts = (
        StockAlert.objects.filter(user=user)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )
    cart_lines = (
        CartLine.objects.filter(cart__user=user)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )
    return SECTION, {
        "orders": [_order(order) for order in orders],
        "addresses": [
            {
                "full_name": a.full_name,
                "phone": a.phone,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "region": a.region,
                "postal_code": a.postal_code,
                "country": a.country,
                "is_default": a.is_default,
                "created_at": _when(a.created_at),
            }
            for a in addresses
        ],
        "wishlist": [
            {
                "product": item.product.name,
                "product_slug": item.product.slug,
                "created_at": _when(item.created_at),
            }
            for item in wishlist
        ],
        "stock_alerts": [
            {
                "product": alert.variant.product.name,
                "sku": alert.variant.sku,
                "email": alert.email,
                "created_at": _when(alert.created_at),
                "notified_at": _when(alert.notified_at),
            }
            for alert in alerts
        ],
        "cart": [
            {
                "product": line.variant.product.name,
                "sku": line.variant.sku,
                "quantity": line.quantity,
            }
            for line in cart_lines
        ],
    }


def _scrubbed_address(address: dict | None) -> dict:
    if not address:
        return {}
    return {**address, **dict.fromkeys(ADDRESS_PERSONAL_FIELDS, "")}


@transaction.atomic
def user_anonymise(user) -> None:
    """Delete the shopper's addresses, stock alerts, wishlist and cart;
    keep their orders with the personal data removed.

    Called by accounts' user_delete() after it has replaced the account's
    email with a placeholder: the orders take that placeholder, so nothing
    in the shop still points at the real address. Running it twice changes
    nothing more."""
    Address.objects.filter(user=user).delete()
    StockAlert.objects.filter(user=user).delete()
    WishlistItem.objects.filter(user=user).delete()
    Cart.objects.filter(user=user).delete()  # its lines cascade
    orders = list(
        Order.objects.select_for_update()
        .filter(user=user)
        .only("pk", "email", "shipping_address", "note", "updated_at")
    )
    now = timezone.now()
    for order in orders:
        order.email = user.email
        order.updated_at = now
        order.shipping_address = _scrubbed_address(order.shipping_address)
        order.note = ""
    Order.objects.bulk_update(
        orders, ["email", "shipping_address", "note", "updated_at"], batch_size=500
    )
    CouponRedemption.objects.filter(order__user=user).update(email=user.email)
