from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.events import OrderPlaced
from shop.models import CartLine, Coupon, CouponRedemption, Order, OrderHistory, Variant
from shop.services.cart import cart_add, cart_for_session, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.tests.factories import CouponFactory, ProductFactory, ShippingMethodFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Siti Rahma",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Melati 12",
    "city": "Yogyakarta",
    "postal_code": "55281",
}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.SHOP_PRICES_INCLUDE_TAX = True
    settings.SHOP_TAX_RATE = "0.11"
    with translation.override("en"):
        yield


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


@pytest.fixture
def shipping():
    return ShippingMethodFactory(price=Decimal("15000"))


@pytest.fixture
def cart(variant):
    cart = cart_for_session(session_key="guest")
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    return cart


def _place(cart, shipping, **overrides):
    kwargs = {
        "cart": cart,
        "user": None,
        "email": " Guest@Example.com ",
        "shipping_address": ADDRESS,
        "shipping_method_id": shipping.pk,
        "payment_gateway": "test_card",
        **overrides,
    }
    return checkout_place_order(**kwargs)


def _assert_nothing_written(variant, cart_lines=1):
    assert not Order.objects.exists()
    assert not OrderHistory.objects.exists()
    assert not OutboxEvent.objects.filter(event_type=OrderPlaced.event_type).exists()
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 0)
    assert CartLine.objects.count() == cart_lines


def test_placing_an_order_holds_stock_prices_from_the_database_and_empties_the_cart(
    cart, variant, shipping
):
    # when
    order = _place(cart, shipping, note="Ring twice")

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 2)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.email == "guest@example.com"
    assert order.subtotal == Decimal("200000")
    assert order.shipping_total == Decimal("15000")
    assert order.total == Decimal("215000")
    assert order.currency == "IDR"
    assert order.shipping_method_name == shipping.name
    assert order.shipping_address == ADDRESS
    assert order.reserved_until is not None
    line = order.lines.get()
    assert (line.sku, line.quantity, line.unit_price, line.line_total) == (
        variant.sku,
        2,
        Decimal("100000"),
        Decimal("200000"),
    )
    assert not cart.lines.exists()
    assert list(order.history.values_list("to_status", flat=True)) == ["pending_payment"]


def test_prices_are_read_at_checkout_not_when_added_to_the_cart(cart, variant, shipping):
    # given the price changed after the shopper filled the cart
    Variant.objects.filter(pk=variant.pk).update(price=Decimal("120000"))

    # when
    order = _place(cart, shipping)

    # then
    assert order.subtotal == Decimal("240000")
    assert order.lines.get().unit_price == Decimal("120000")


def test_placing_an_order_publishes_order_placed_into_the_outbox(cart, variant, shipping):
    # when
    order = _place(cart, shipping)

    # then
    event = OutboxEvent.objects.get(event_type=OrderPlaced.event_type)
    assert event.payload == {
        "order_id": order.pk,
        "number": order.number,
        "user_id": None,
        "email": "guest@example.com",
        "total": "215000.00",
        "currency": "IDR",
        "product_ids": [variant.product_id],
        "sequence": 1,
        "lines": [
            {
                "product_id": variant.product_id,
                "variant_id": variant.pk,
                "sku": variant.sku,
                "quantity": 2,
                "unit_price": "100000.00",
                "line_total": "200000.00",
            }
        ],
        "adjustments": [],
    }


def test_signed_in_order_belongs_to_the_user(variant, shipping):
    # given
    user = UserFactory()
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)

    # when
    order = _place(cart, shipping, user=user, email=user.email)

    # then
    assert order.user == user
    assert order.history.get().actor == user


def test_coupon_is_recorded_and_counted(cart, variant, shipping):
    # given
    coupon = CouponFactory(code="HEMAT10", kind=Coupon.Kind.PERCENT, value=Decimal("10"))

    # when
    order = _place(cart, shipping, coupon_code=" hemat10 ")

    # then
    coupon.refresh_from_db()
    assert (order.coupon, order.coupon_code, order.discount_total) == (
        coupon,
        "HEMAT10",
        Decimal("20000"),
    )
    assert order.total == Decimal("195000")
    assert coupon.times_used == 1
    assert CouponRedemption.objects.get().order == order


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"shipping_method_id": 999_999}, "shipping_invalid"),
        ({"shipping_method_id": None}, "shipping_required"),
        ({"payment_gateway": "bitcoin"}, "payment_method_invalid"),
        ({"payment_gateway": ""}, "payment_method_invalid"),
        ({"shipping_address": {}}, "address_required"),
        ({"shipping_address": {"line1": ""}}, "address_required"),
        ({"email": "  "}, "email_required"),
        ({"coupon_code": "NOSUCH"}, "coupon_invalid"),
    ],
)
def test_bad_checkout_input_is_a_clear_4xx_and_writes_nothing(
    cart, variant, shipping, overrides, code
):
    # when
    with pytest.raises(ApplicationError) as refused:
        _place(cart, shipping, **overrides)

    # then
    assert refused.value.code == code
    assert 400 <= refused.value.status_code < 500
    assert refused.value.message
    _assert_nothing_written(variant)


def test_inactive_shipping_method_is_refused(cart, variant, shipping):
    # given
    shipping.is_active = False
    shipping.save()
    other = ShippingMethodFactory(name="Pickup", kind="pickup")

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(cart, shipping)

    # then
    assert refused.value.code == "shipping_invalid"
    _assert_nothing_written(variant)
    # while pickup needs no address
    assert _place(cart, other, shipping_address={}).shipping_total == Decimal("0")


def test_empty_cart_is_refused(variant, shipping):
    # given
    cart = cart_for_session(session_key="empty")

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(cart, shipping)

    # then
    assert refused.value.code == "cart_empty"
    assert refused.value.message == "Your cart is empty."
    _assert_nothing_written(variant, cart_lines=0)


def test_stock_gone_since_the_cart_was_filled_is_sold_out_and_writes_nothing(
    cart, variant, shipping
):
    # given someone else bought four of the five units meanwhile
    Variant.objects.filter(pk=variant.pk).update(stock=1)
    coupon = CouponFactory()

    # when
    with pytest.raises(ApplicationError) as refused:
        _place(cart, shipping, coupon_code=coupon.code)

    # then
    assert refused.value.code == "sold_out"
    assert refused.value.status_code == 409
    assert "only 1 of" in refused.value.message
    assert not Order.objects.exists()
    variant.refresh_from_db()
    coupon.refresh_from_db()
    assert (variant.stock, variant.reserved, coupon.times_used) == (1, 0, 0)
    assert CartLine.objects.count() == 1


def test_same_idempotency_key_returns_the_same_order(cart, variant, shipping):
    # given
    first = _place(cart, shipping, idempotency_key="key-1")

    # when the cart is filled again and the same request is retried
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    again = _place(cart, shipping, idempotency_key="key-1")

    # then one order, one hold, and the cart is untouched
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.reserved == 2
    assert cart.lines.get().quantity == 1


def test_a_new_idempotency_key_places_a_new_order(cart, variant, shipping):
    # given
    first = _place(cart, shipping, idempotency_key="key-1")
    cart_add(cart=cart, variant_id=variant.pk, quantity=1)

    # when
    second = _place(cart, shipping, idempotency_key="key-2")

    # then
    assert second.pk != first.pk
    variant.refresh_from_db()
    assert variant.reserved == 3
