"""The shopper's cart for a request, and the header's cart count (lazy: the
query runs only on pages that show it)."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.functional import SimpleLazyObject

from shop.models import Cart, CartLine
from shop.services.cart import cart_for_session, cart_for_user

# The anonymous cart's id lives in the session data (not only as
# Cart.session_key): login() rotates the session key, the data survives.
SESSION_CART_ID = "shop_cart_id"


def current_cart(request) -> Cart | None:
    """The shopper's cart if there is one; never creates anything."""
    if request.user.is_authenticated:
        return Cart.objects.filter(user=request.user).first()
    cart_id = request.session.get(SESSION_CART_ID)
    if not cart_id:
        return None
    return Cart.objects.filter(pk=cart_id, user__isnull=True).first()


def cart_to_fill(request) -> Cart:
    """The shopper's cart, created (with the session it needs) on first use."""
    if request.user.is_authenticated:
        return cart_for_user(user=request.user)
    cart = current_cart(request)
    if cart is not None:
        return cart
    if not request.session.session_key:
        request.session.save()
    cart = cart_for_session(session_key=request.session.session_key)
    request.session[SESSION_CART_ID] = cart.pk
    return cart


def cart_item_count(request) -> int:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    else:
        session = getattr(request, "session", None)
        cart_id = session.get(SESSION_CART_ID) if session is not None else None
        if not cart_id:
            return 0
        lines = CartLine.objects.filter(cart_id=cart_id, cart__user__isnull=True)
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


def cart_badge_html(request) -> str:
    """The header's cart badge for this visitor (a page-cache site hole)."""
    from django.template.loader import render_to_string

    return render_to_string("includes/cart_badge.html", {"cart_count": cart_item_count(request)})


def cart(request) -> dict:
    return {"cart_count": SimpleLazyObject(lambda: cart_item_count(request))}
