"""Django's and allauth's signals the shop must act on at once, inside the
request that sends them: the shopper sees their merged cart and their guest
orders on the very next page."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from shop.context_processors import SESSION_CART_ID
from shop.models import Cart
from shop.services.cart import cart_for_user, cart_merge
from shop.services.orders_claim import orders_claim_for_email


@receiver(user_logged_in, dispatch_uid="shop.merge_session_cart")
def merge_session_cart(sender, request, user, **kwargs) -> None:
    # The cart id travels in the session data, which survives the key
    # rotation login() performs just before this signal.
    session = getattr(request, "session", None)
    if session is None:
        return
    cart_id = session.pop(SESSION_CART_ID, None)
    if not cart_id:
        return
    anonymous_cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first()
    if anonymous_cart is None:
        return
    cart_merge(source=anonymous_cart, target=cart_for_user(user=user))


@receiver(email_confirmed, dispatch_uid="shop.claim_guest_orders_on_confirm")
def claim_guest_orders_on_confirm(sender, request, email_address, **kwargs) -> None:
    orders_claim_for_email(user=email_address.user, email=email_address.email)


@receiver(user_signed_up, dispatch_uid="shop.claim_guest_orders_on_signup")
def claim_guest_orders_on_signup(sender, request, user, **kwargs) -> None:
    # A social sign-up can arrive with an address the provider already
    # verified: no confirmation signal follows for it.
    for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
        "email", flat=True
    ):
        orders_claim_for_email(user=user, email=email)
