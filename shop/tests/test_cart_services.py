from __future__ import annotations

import pytest
from django.utils import translation

from core.exceptions import ApplicationError
from shop.models import MAX_LINE_QUANTITY, Cart, CartLine, Variant
from shop.services.cart import (
    cart_add,
    cart_for_session,
    cart_for_user,
    cart_merge,
    cart_remove,
    cart_set_quantity,
)
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _variant(stock: int = 10) -> Variant:
    return ProductFactory(variant__stock=stock).variants.get()


def test_adding_the_same_variant_twice_adds_to_one_line():
    # given
    cart = cart_for_session(session_key="s1")
    variant = _variant()

    # when
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    line = cart_add(cart=cart, variant_id=variant.pk, quantity=3)

    # then
    assert line.quantity == 5
    assert cart.lines.count() == 1


@pytest.mark.parametrize("quantity", [0, -1, MAX_LINE_QUANTITY + 1, 10**9, "2", 1.5])
def test_bad_quantities_are_refused_and_change_nothing(quantity):
    # given
    cart = cart_for_session(session_key="s1")
    variant = _variant()

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    assert refused.value.code == "invalid_quantity"
    assert not CartLine.objects.exists()


def test_a_line_never_grows_past_the_per_item_cap():
    # given a line already at the cap
    cart = cart_for_session(session_key="s1")
    variant = _variant(stock=500)
    cart_add(cart=cart, variant_id=variant.pk, quantity=MAX_LINE_QUANTITY)

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    assert refused.value.code == "invalid_quantity"
    assert CartLine.objects.get().quantity == MAX_LINE_QUANTITY


def test_adding_more_than_is_available_says_how_many_are_left():
    # given
    cart = cart_for_session(session_key="s1")
    variant = _variant(stock=3)
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    assert refused.value.status_code == 409
    assert refused.value.message == "Only 3 left in stock."
    assert CartLine.objects.get().quantity == 2


def test_a_sold_out_variant_cannot_be_added():
    # given
    cart = cart_for_session(session_key="s1")
    variant = _variant(stock=0)

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_add(cart=cart, variant_id=variant.pk)
    assert refused.value.code == "sold_out"
    assert refused.value.message == "Sorry, this item is sold out."
    assert not CartLine.objects.exists()


def test_unknown_variants_cannot_be_added():
    # given
    cart = cart_for_session(session_key="s1")

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_add(cart=cart, variant_id=999_999)
    assert refused.value.status_code == 404
    assert refused.value.code == "unavailable"
    assert not CartLine.objects.exists()


def test_setting_quantity_zero_removes_the_line():
    # given
    cart = cart_for_session(session_key="s1")
    line = cart_add(cart=cart, variant_id=_variant().pk, quantity=2)

    # when
    result = cart_set_quantity(cart=cart, line_id=line.pk, quantity=0)

    # then
    assert result is None
    assert not CartLine.objects.exists()


def test_setting_quantity_above_stock_is_refused():
    # given
    cart = cart_for_session(session_key="s1")
    variant = _variant(stock=4)
    line = cart_add(cart=cart, variant_id=variant.pk, quantity=2)

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_set_quantity(cart=cart, line_id=line.pk, quantity=5)
    assert refused.value.code == "sold_out"
    assert CartLine.objects.get().quantity == 2


def test_another_carts_line_cannot_be_changed_or_removed():
    # given
    mine = cart_for_session(session_key="mine")
    theirs = cart_for_session(session_key="theirs")
    line = cart_add(cart=theirs, variant_id=_variant().pk, quantity=2)

    # when / then
    with pytest.raises(ApplicationError) as refused:
        cart_set_quantity(cart=mine, line_id=line.pk, quantity=1)
    assert refused.value.status_code == 404
    with pytest.raises(ApplicationError):
        cart_remove(cart=mine, line_id=line.pk)
    assert CartLine.objects.get().quantity == 2


def test_merge_adds_quantities_caps_them_and_deletes_the_session_cart():
    # given a session cart and a user cart sharing one variant
    user = UserFactory()
    shared, only_session = _variant(stock=500), _variant()
    session_cart = cart_for_session(session_key="anon")
    user_cart = cart_for_user(user=user)
    cart_add(cart=session_cart, variant_id=shared.pk, quantity=60)
    cart_add(cart=session_cart, variant_id=only_session.pk, quantity=1)
    cart_add(cart=user_cart, variant_id=shared.pk, quantity=50)

    # when
    cart_merge(source=session_cart, target=user_cart)

    # then
    quantities = dict(user_cart.lines.values_list("variant_id", "quantity"))
    assert quantities == {shared.pk: MAX_LINE_QUANTITY, only_session.pk: 1}
    assert not Cart.objects.filter(pk=session_cart.pk).exists()


def test_merging_a_cart_into_itself_changes_nothing():
    # given
    cart = cart_for_user(user=UserFactory())
    cart_add(cart=cart, variant_id=_variant().pk, quantity=2)

    # when
    cart_merge(source=cart, target=cart)

    # then
    assert CartLine.objects.get().quantity == 2
    assert Cart.objects.filter(pk=cart.pk).exists()
