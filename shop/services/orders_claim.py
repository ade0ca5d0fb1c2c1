"""Guest orders and who may see them.

A guest order belongs to whoever proves the email it was placed with: by
verifying that address on an account (the order is then attached to the
account), or by holding the signed link sent in the order's emails."""

from __future__ import annotations

from enum import Enum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from shop.models import Order

ACCESS_SALT = "shop.order.access"


def orders_claim_for_email(*, user, email: str) -> int:
    """Attach the guest orders placed with `email` to `user`.

    Call only once `email` is verified as `user`'s: the address is the only
    proof of ownership a guest order has. Orders that already have an owner
    are left alone. Returns how many orders were attached; running it twice
    attaches nothing more."""
    email = (email or "").strip().lower()
    if not email or user is None or not user.pk:
        return 0
    return Order.objects.filter(user__isnull=True, email__iexact=email).update(user=user)


class LinkCheck(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def order_link_max_age_days() -> int:
    return settings.SHOP_ORDER_LINK_MAX_AGE_DAYS


def order_access_token(*, order: Order) -> str:
    """A signed, timestamped token that opens this one order's page without
    logging in, for SHOP_ORDER_LINK_MAX_AGE_DAYS."""
    return signing.dumps(order.number, salt=ACCESS_SALT, compress=False)


def order_access_token_check(*, number: str, token: str) -> LinkCheck:
    """VALID for a genuine token of this order within its age, EXPIRED for a
    genuine one that is too old (the holder may be told so), INVALID for
    anything else (another order's token, a forged or mangled one)."""
    try:
        if signing.loads(token, salt=ACCESS_SALT) != number:
            return LinkCheck.INVALID
    except signing.BadSignature:
        return LinkCheck.INVALID
    try:
        signing.loads(token, salt=ACCESS_SALT, max_age=order_link_max_age_days() * 86400)
    except signing.SignatureExpired:
        return LinkCheck.EXPIRED
    return LinkCheck.VALID


def order_access_token_valid(*, number: str, token: str) -> bool:
    return order_access_token_check(number=number, token=token) is LinkCheck.VALID


def order_access_path(*, order: Order) -> str:
    """The order page with its access token: the link for confirmation emails."""
    path = reverse("shop:order_detail", kwargs={"number": order.number})
    return f"{path}?key={order_access_token(order=order)}"
