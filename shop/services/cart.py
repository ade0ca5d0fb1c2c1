from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from shop import selectors
from shop.models import MAX_LINE_QUANTITY, Cart, CartLine, Variant


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or quantity < 1 or quantity > MAX_LINE_QUANTITY:
        raise ApplicationError(
            _("Choose a quantity between 1 and %(max)s.") % {"max": MAX_LINE_QUANTITY},
            code="invalid_quantity",
        )


def _buyable_variant(variant_id: int, *, user) -> Variant:
    """The variant, if this shopper may buy it now (selectors'
    `variants_purchasable`: active, of a published product that has launched
    or is open early to them). The refusal does not name the product: its
    page may be a 404 to this shopper."""
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None:
        raise ApplicationError(
            _("This item is not available."), code="unavailable", status_code=404
        )
    if not selectors.variants_purchasable(variants=[variant], user=user):
        raise ApplicationError(
            _("This item is not on sale at the moment."),
            code="not_purchasable",
            status_code=409,
        )
    return variant


def cart_lines_purchasable_check(*, lines: Iterable[CartLine], user) -> None:
    """Refuse (409 not_purchasable, naming the first such item) a cart with
    a line this shopper may not buy now: unpublished, not launched and not
    open early to them, or withdrawn since it was added. The lines come with
    `variant__product` (select_related): no query."""
    lines = list(lines)
    purchasable = selectors.variants_purchasable(
        variants=[line.variant for line in lines], user=user
    )
    for line in lines:
        if line.variant_id not in purchasable:
            raise ApplicationError(
                _("%(item)s is no longer on sale. Remove it from your cart to check out.")
                % {"item": line.variant},
                code="not_purchasable",
                status_code=409,
            )


def cart_for_user(*, user) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


def cart_for_session(*, session_key: str) -> Cart:
    cart, _created = Cart.objects.get_or_create(session_key=session_key, user=None)
    return cart


def _check_available(variant: Variant, quantity: int) -> None:
    if quantity > variant.available:
        raise ApplicationError(
            _("Only %(count)s left in stock.") % {"count": variant.available}
            if variant.available
            else _("Sorry, this item is sold out."),
            code="sold_out",
            status_code=409,
        )


@transaction.atomic
def cart_add(*, cart: Cart, variant_id: int, quantity: int = 1, user=None) -> CartLine:
    """Add units; the line never exceeds what is available or the line cap.
    `user` is the shopper asking (None: a visitor), for early access."""
    _check_quantity(quantity)
    variant = _buyable_variant(variant_id, user=user)
    line = CartLine.objects.select_for_update().filter(cart=cart, variant=variant).first()
    if line is None:
        try:
            with transaction.atomic():
                _check_available(variant, quantity)
                return CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
        except IntegrityError:
            # A parallel request added the same variant first: add to its line.
            line = CartLine.objects.select_for_update().get(cart=cart, variant=variant)
    new_quantity = quantity + line.quantity
    if new_quantity > MAX_LINE_QUANTITY:
        raise ApplicationError(
            _("You can buy at most %(max)s of one item per order.") % {"max": MAX_LINE_QUANTITY},
            code="invalid_quantity",
        )
    _check_available(variant, new_quantity)
    line.quantity = new_quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


@transaction.atomic
def cart_set_quantity(*, cart: Cart, line_id: int, quantity: int, user=None) -> CartLine | None:
    """Quantity 0 removes the line (also one no longer on sale)."""
    line = CartLine.objects.select_for_update().filter(cart=cart, pk=line_id).first()
    if line is None:
        raise ApplicationError(
            _("That item is not in your cart."), code="not_found", status_code=404
        )
    if quantity == 0:
        line.delete()
        return None
    _check_quantity(quantity)
    variant = _buyable_variant(line.variant_id, user=user)
    _check_available(variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    return line


def cart_remove(*, cart: Cart, line_id: int) -> None:
    deleted, _rows = CartLine.objects.filter(cart=cart, pk=line_id).delete()
    if not deleted:
        raise ApplicationError(
            _("That item is not in your cart."), code="not_found", status_code=404
        )


@transaction.atomic
def cart_merge(*, source: Cart, target: Cart) -> Cart:
    """Log-in: the anonymous cart's lines join the user's cart (quantities
    add up, capped), then the anonymous cart is deleted."""
    if source.pk == target.pk:
        return target
    existing = {line.variant_id: line for line in target.lines.select_for_update()}
    for line in source.lines.all():
        if line.variant_id in existing:
            mine = existing[line.variant_id]
            mine.quantity = min(mine.quantity + line.quantity, MAX_LINE_QUANTITY)
            mine.save(update_fields=["quantity", "updated_at"])
        else:
            CartLine.objects.create(cart=target, variant_id=line.variant_id, quantity=line.quantity)
    source.delete()
    return target


def cart_clear(*, cart: Cart) -> None:
    cart.lines.all().delete()
