"""A checkout replay answers only whoever placed the order: another shopper
who posts the same email and Idempotency-Key never gets that order (nor its
name, street or order page) in their session."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from shop.models import Order
from shop.services.cart import cart_add, cart_for_session, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory, UserFactory
from shop.tests.test_checkout_views import _checkout_data, _fill_cart, _place

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant():
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=50).variants.get()


def _checkout(cart, user=None, *, email="siti@example.com", key="key-1"):
    return checkout_place_order(
        cart=cart,
        user=user,
        email=email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        idempotency_key=key,
    )


def test_a_guest_replay_from_the_same_session_answers_with_its_order(variant):
    # given a guest's order placed with a key
    cart = cart_for_session(session_key="guest-a")
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    first = _checkout(cart)

    # when the same session sends it again
    again = _checkout(cart)

    # then it is the same order
    assert again.pk == first.pk
    assert Order.objects.count() == 1


def test_another_guest_with_the_same_email_and_key_never_gets_that_order(variant):
    # given a guest's order placed with a key
    victim_cart = cart_for_session(session_key="victim")
    cart_add(cart=victim_cart, variant_id=variant.pk, quantity=1)
    victims = _checkout(victim_cart)

    # when another browser posts the victim's email and key with an empty cart
    attacker_cart = cart_for_session(session_key="attacker")
    with pytest.raises(ApplicationError) as refused:
        _checkout(attacker_cart)

    # then it is refused as an empty cart, and with a cart it is a new order
    assert refused.value.code == "cart_empty"
    cart_add(cart=attacker_cart, variant_id=variant.pk, quantity=1)
    own = _checkout(attacker_cart)
    assert own.pk != victims.pk
    assert Order.objects.count() == 2


def test_a_member_cannot_replay_another_members_key(variant):
    # given a member's order placed with a key
    victim = UserFactory(email="siti@example.com")
    cart = cart_for_user(user=victim)
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    victims = _checkout(cart, victim, email=victim.email)

    # when another member posts the victim's email and key
    other = UserFactory()
    with pytest.raises(ApplicationError):
        _checkout(cart_for_user(user=other), other, email=victim.email)

    # then nothing of the victim's order reached them
    assert Order.objects.filter(user=other).count() == 0
    assert Order.objects.get().pk == victims.pk


def test_the_web_checkout_never_opens_another_shoppers_order(variant):
    # given a guest who bought by bank transfer in their own browser (the
    # test settings enable it; SHOP_PAYMENT_GATEWAYS holds import paths)
    from shop.tests.factories import ShippingMethodFactory

    shipping = ShippingMethodFactory(price=Decimal("15000"))
    victim = Client()
    _fill_cart(victim, variant, 1)
    data = _checkout_data(victim, shipping, payment_method="bank_transfer", card_number="")
    placed = _place(victim, data)
    order = Order.objects.get()
    assert placed.status_code == 302

    # when another browser posts the same form (email, key, address) with a cart
    attacker = Client()
    _fill_cart(attacker, variant, 1)
    stolen = _place(attacker, data)

    # then the attacker got an order of their own, and the victim's page
    # does not open in their session
    assert stolen.status_code == 302
    assert order.number not in stolen["Location"]
    assert Order.objects.count() == 2
    page = attacker.get(reverse("shop:checkout_complete", kwargs={"number": order.number}))
    assert page.status_code == 404
    assert CHECKOUT_ADDRESS["line1"] not in page.content.decode()
