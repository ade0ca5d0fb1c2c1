"""Wishlist and back-in-stock alerts."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from shop.models import Product, StockAlert, Variant, WishlistItem


def wishlist_add(*, user, product_id: int) -> tuple[WishlistItem, bool]:
    """Returns (item, created); adding a product twice keeps one entry."""
    product = Product.objects.visible().filter(pk=product_id).first()
    if product is None:
        raise ApplicationError(
            _("This product is not available."), code="not_found", status_code=404
        )
    try:
        with transaction.atomic():
            return WishlistItem.objects.get_or_create(user=user, product=product)
    except IntegrityError:
        # A parallel request added it first.
        return WishlistItem.objects.get(user=user, product=product), False


def wishlist_remove(*, user, product_id: int) -> bool:
    """Returns whether something was removed."""
    deleted, _rows = WishlistItem.objects.filter(user=user, product_id=product_id).delete()
    return bool(deleted)


def stock_alert_subscribe(*, variant_id: int, email: str, user=None) -> tuple[StockAlert, bool]:
    """Ask to be emailed when a sold-out variant is back. Returns
    (alert, created): signing up twice keeps the one pending alert."""
    email = (email or "").strip().lower()
    if not email:
        raise ApplicationError(_("Enter your email address."), code="email_required")
    variant = (
        Variant.objects.select_related("product")
        .filter(pk=variant_id, is_active=True, product__is_published=True)
        .first()
    )
    if variant is None:
        raise ApplicationError(_("This item is not available."), code="not_found", status_code=404)
    if variant.available > 0:
        raise ApplicationError(
            _("Good news: this item is in stock, you can order it now."),
            code="in_stock",
            status_code=409,
        )
    owner = user if user is not None and user.is_authenticated else None
    existing = StockAlert.objects.filter(variant=variant, email=email, notified_at=None).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            return StockAlert.objects.create(variant=variant, email=email, user=owner), True
    except IntegrityError:
        return StockAlert.objects.get(variant=variant, email=email, notified_at=None), False
