from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import PASSWORD
from accounts.tests.factories import UserFactory as AccountUserFactory
from shop.models import Cart, CartLine, Order
from shop.services.cart import cart_add, cart_for_session, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _variant(stock=10):
    return ProductFactory(variant__stock=stock, variant__price=Decimal("20000")).variants.get()


def _guest_order(email: str) -> Order:
    cart = cart_for_session(session_key=f"guest-{email}")
    cart_add(cart=cart, variant_id=_variant().pk, quantity=1)
    return checkout_place_order(
        cart=cart,
        user=None,
        email=email,
        shipping_address={"line1": "Jl. Mawar 1", "city": "Medan"},
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )


def test_session_cart_merges_into_the_users_cart_on_login(client):
    # given a member whose account cart already holds one unit
    user = AccountUserFactory(verified=True)
    shared, only_in_session = _variant(), _variant()
    cart_add(cart=cart_for_user(user=user), variant_id=shared.pk, quantity=1)
    # and a guest session cart
    client.post(reverse("shop:cart_add"), {"variant_id": shared.pk, "quantity": 2})
    client.post(reverse("shop:cart_add"), {"variant_id": only_in_session.pk, "quantity": 1})

    # when
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    # then
    assert response.status_code == 302
    assert Cart.objects.count() == 1
    quantities = dict(
        CartLine.objects.filter(cart__user=user).values_list("variant_id", "quantity")
    )
    assert quantities == {shared.pk: 3, only_in_session.pk: 1}
    assert len(client.get(reverse("shop:cart")).context["rows"]) == 2


def test_login_without_a_session_cart_changes_no_cart(client):
    # given
    user = AccountUserFactory(verified=True)

    # when
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    # then
    assert not Cart.objects.exists()


def test_guest_order_is_attached_when_the_same_email_is_verified(
    client, django_capture_on_commit_callbacks
):
    # given
    mine = _guest_order("shopper@example.com")
    someone_elses = _guest_order("other@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # the mail is sent after commit
        client.post(
            reverse("account_signup"),
            {"email": "Shopper@Example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    mine.refresh_from_db()
    assert mine.user is None  # not before the address is proven
    confirmation = next(m for m in mail.outbox if "/accounts/confirm-email/" in m.body)
    link = re.search(r"https?://[^/\s]+(\S*/accounts/confirm-email/\S*)", confirmation.body)

    # when
    client.post(link.group(1))

    # then
    mine.refresh_from_db()
    someone_elses.refresh_from_db()
    assert mine.user is not None
    assert mine.user.email == "shopper@example.com"
    assert someone_elses.user is None
    assert mine.number in client.get(reverse("shop:order_list")).content.decode()


def test_unverified_signup_does_not_claim_guest_orders(client):
    # given
    order = _guest_order("shopper@example.com")

    # when
    client.post(
        reverse("account_signup"),
        {"email": "shopper@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    # then
    order.refresh_from_db()
    assert order.user is None


def test_orders_of_another_account_are_never_moved():
    # given
    from shop.services.orders_claim import orders_claim_for_email

    owner = AccountUserFactory(email="shared@example.com")
    cart = cart_for_user(user=owner)
    cart_add(cart=cart, variant_id=_variant().pk, quantity=1)
    owned = checkout_place_order(
        cart=cart,
        user=owner,
        email="shared@example.com",
        shipping_address={"line1": "x"},
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )
    newcomer = AccountUserFactory()

    # when
    claimed = orders_claim_for_email(user=newcomer, email="shared@example.com")

    # then
    assert claimed == 0
    owned.refresh_from_db()
    assert owned.user == owner
