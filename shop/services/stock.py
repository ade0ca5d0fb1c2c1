"""Stock moves only here, only under row locks.

Variants are always locked in primary-key order, so two checkouts that want
the same variants queue instead of deadlocking; the CHECK constraints on
Variant make a negative stock or an over-reservation impossible even if a
bug slipped past these checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from shop.cache import catalog_changed, product_pages_changed
from shop.models import Product, Variant


class SoldOut(ApplicationError):
    status_code = 409

    def __init__(self, *, variant: Variant, requested: int) -> None:
        available = variant.available
        if available <= 0:
            message = _("Sorry, %(item)s is sold out.") % {"item": variant}
        else:
            message = _("Sorry, only %(count)s of %(item)s left.") % {
                "count": available,
                "item": variant,
            }
        super().__init__(
            message,
            code="sold_out",
            extra={"variant_id": variant.pk, "available": available, "requested": requested},
        )


def lock_variants(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Lock the rows in a fixed (pk) order; call inside a transaction."""
    ids = sorted(set(variant_ids))
    variants = (
        Variant.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {variant.pk: variant for variant in variants}


def _refresh_in_stock(variants: Iterable[Variant]) -> None:
    """Keep the listing pages' denormalised Product.in_stock in step with a
    stock move (products updated in pk order, like the variants), and orphan
    the cached pages that show it: the moved products' own pages (their stock
    labels) always; every catalogue page only when a product's in-stock
    state flipped (its "Sold out" flag on cards, the in-stock facet)."""
    product_ids = sorted({variant.product_id for variant in variants})
    if not product_ids:
        return
    in_stock = Exists(
        Variant.objects.filter(product=OuterRef("pk"), is_active=True, stock__gt=F("reserved"))
    )
    rows = list(
        Product.objects.filter(pk__in=product_ids)
        .annotate(now_in_stock=in_stock)
        .values_list("slug", "in_stock", "now_in_stock")
    )
    Product.objects.filter(pk__in=product_ids).update(in_stock=in_stock)
    flipped = [slug for slug, was, now in rows if was != now]
    if flipped:
        catalog_changed(reason=f"in stock state of {', '.join(flipped)}")
    else:
        product_pages_changed(slugs=[slug for slug, _was, _now in rows])


def stock_reserve(*, quantities: Mapping[int, int]) -> dict[int, Variant]:
    """Hold `quantities` (variant id -> units) for an unpaid order.
    Raises SoldOut, holding nothing, if any line cannot be covered."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock_reserve must run inside a transaction")
    variants = lock_variants(quantities)
    for variant_id, quantity in quantities.items():
        variant = variants.get(variant_id)
        if variant is None or not variant.is_active:
            raise ApplicationError(_("This item is no longer available."), code="unavailable")
        if quantity > variant.available:
            raise SoldOut(variant=variant, requested=quantity)
    for variant_id, quantity in quantities.items():
        variant = variants[variant_id]
        variant.reserved += quantity
        variant.save(update_fields=["reserved", "updated_at"])
    _refresh_in_stock(variants.values())
    return variants


def stock_release(*, quantities: Mapping[int, int]) -> list[int]:
    """Give back a hold (unpaid order cancelled or expired). Returns the ids
    of variants that went from sold out to available."""
    variants = lock_variants(quantities)
    back_in_stock = []
    for variant_id, quantity in quantities.items():
        variant = variants.get(variant_id)
        if variant is None:
            continue
        was_available = variant.available > 0
        variant.reserved = max(variant.reserved - quantity, 0)
        variant.save(update_fields=["reserved", "updated_at"])
        if not was_available and variant.available > 0:
            back_in_stock.append(variant.pk)
    _refresh_in_stock(variants.values())
    return back_in_stock


def stock_commit(*, quantities: Mapping[int, int]) -> None:
    """Payment arrived: the held units leave the shelf."""
    variants = lock_variants(quantities)
    for variant_id, quantity in quantities.items():
        variant = variants.get(variant_id)
        if variant is None:
            continue
        variant.reserved = max(variant.reserved - quantity, 0)
        variant.stock = max(variant.stock - quantity, 0)
        variant.save(update_fields=["reserved", "stock", "updated_at"])
    _refresh_in_stock(variants.values())


def stock_restock(*, quantities: Mapping[int, int]) -> list[int]:
    """Units come back on the shelf (paid order cancelled, staff restock).
    Returns the ids of variants that went from sold out to available."""
    variants = lock_variants(quantities)
    back_in_stock = []
    for variant_id, quantity in quantities.items():
        variant = variants.get(variant_id)
        if variant is None:
            continue
        was_available = variant.available > 0
        variant.stock += quantity
        variant.save(update_fields=["stock", "updated_at"])
        if not was_available and variant.available > 0:
            back_in_stock.append(variant.pk)
    _refresh_in_stock(variants.values())
    return back_in_stock


def stock_set(*, variant_id: int, stock: int) -> bool:
    """Staff sets the on-hand count. Refuses to go below what unpaid orders
    hold. Returns True if the variant came back in stock."""
    if stock < 0:
        raise ApplicationError(_("Stock cannot be negative."), code="invalid_stock")
    variant = lock_variants([variant_id])[variant_id]
    if stock < variant.reserved:
        raise ApplicationError(
            _("%(count)s units are held by unpaid orders; stock cannot go below that.")
            % {"count": variant.reserved},
            code="stock_below_reserved",
        )
    was_available = variant.available > 0
    variant.stock = stock
    variant.save(update_fields=["stock", "updated_at"])
    _refresh_in_stock([variant])
    return not was_available and variant.available > 0
