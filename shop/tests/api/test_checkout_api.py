from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from shop.models import CartLine, Coupon, Order, Variant
from shop.tests.api.conftest import ADDRESS, assert_error_shape
from shop.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("api:shop-checkout")


def body(shipping, **extra) -> dict:
    return {
        "shipping_address": ADDRESS,
        "shipping_method_id": shipping.pk,
        "payment_gateway": "bank_transfer",
        **extra,
    }


def test_checkout_places_an_order_at_server_prices(shopper_api, shopper, filled_cart, shipping):
    # when: the client sends prices of its own
    response = shopper_api.post(
        CHECKOUT,
        body(shipping, total="1.00", subtotal="1.00", lines=[{"unit_price": "1"}]),
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    # then
    assert response.status_code == 201
    data = response.json()
    order = Order.objects.get()
    assert data["number"] == order.number
    assert order.user == shopper
    assert order.subtotal == Decimal("200000")
    assert data["subtotal"] == "200000.00"
    assert data["total"] == str(order.total)
    assert data["lines"][0]["quantity"] == 2
    assert data["shipping_address"]["line1"] == ADDRESS["line1"]
    assert not CartLine.objects.exists()


def test_checkout_with_a_test_card_pays_the_order(shopper_api, filled_cart, shipping):
    # when
    response = shopper_api.post(
        CHECKOUT,
        body(shipping, payment_gateway="test_card", card_number="4242 4242 4242 4242"),
        HTTP_IDEMPOTENCY_KEY="card-1",
    )

    # then
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "paid"
    assert data["payment"]["status"] == "succeeded"
    assert "card_number" not in data


def test_checkout_twice_with_one_key_places_one_order_and_answers_the_same(
    shopper_api, filled_cart, shipping
):
    # given
    payload = body(shipping, payment_gateway="test_card", card_number="4242424242424242")

    # when
    first = shopper_api.post(CHECKOUT, payload, HTTP_IDEMPOTENCY_KEY="same-key")
    second = shopper_api.post(CHECKOUT, payload, HTTP_IDEMPOTENCY_KEY="same-key")

    # then
    assert Order.objects.count() == 1
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert Order.objects.get().payments.count() == 1


def test_checkout_without_an_idempotency_key_is_400_and_places_nothing(
    shopper_api, filled_cart, shipping
):
    # when
    response = shopper_api.post(CHECKOUT, body(shipping))

    # then
    assert assert_error_shape(response, 400)["code"] == "idempotency_key_required"
    assert not Order.objects.exists()
    assert filled_cart.lines.count() == 1


def test_checkout_with_an_expired_coupon_is_422_and_changes_nothing(
    shopper_api, filled_cart, shipping, variant
):
    # given
    coupon = CouponFactory(code="LEWAT", valid_until=timezone.now() - timedelta(days=1))

    # when
    response = shopper_api.post(
        CHECKOUT, body(shipping, coupon_code="LEWAT"), HTTP_IDEMPOTENCY_KEY="coupon-1"
    )

    # then
    assert assert_error_shape(response, 422)["code"] == "coupon_expired"
    assert not Order.objects.exists()
    assert Variant.objects.get(pk=variant.pk).reserved == 0
    assert Coupon.objects.get(pk=coupon.pk).times_used == 0
    assert filled_cart.lines.count() == 1


def test_checkout_refuses_bad_input_with_field_errors(shopper_api, filled_cart, shipping):
    # when
    response = shopper_api.post(
        CHECKOUT,
        {"shipping_address": {"line1": ""}, "shipping_method_id": "x"},
        HTTP_IDEMPOTENCY_KEY="bad-1",
    )

    # then
    data = assert_error_shape(response, 400)
    assert {"shipping_address", "shipping_method_id", "payment_gateway"} <= set(data["errors"])
    assert not Order.objects.exists()


def test_checkout_with_an_unknown_payment_method_is_422(shopper_api, filled_cart, shipping):
    # when
    response = shopper_api.post(
        CHECKOUT, body(shipping, payment_gateway="cash"), HTTP_IDEMPOTENCY_KEY="pay-1"
    )

    # then
    assert assert_error_shape(response, 422)["code"] == "payment_method_invalid"
    assert not Order.objects.exists()


def test_checkout_of_an_empty_cart_is_422(shopper_api, shipping):
    # when
    response = shopper_api.post(CHECKOUT, body(shipping), HTTP_IDEMPOTENCY_KEY="empty-1")

    # then
    assert assert_error_shape(response, 422)["code"] == "cart_empty"
    assert not Order.objects.exists()


def test_checkout_of_more_than_in_stock_is_409(shopper_api, filled_cart, shipping, variant):
    # given: someone else bought all but one
    Variant.objects.filter(pk=variant.pk).update(stock=1)

    # when
    response = shopper_api.post(CHECKOUT, body(shipping), HTTP_IDEMPOTENCY_KEY="stock-1")

    # then
    assert_error_shape(response, 409)
    assert not Order.objects.exists()


def test_anonymous_checkout_is_401(api, shipping):
    # when
    response = api.post(CHECKOUT, body(shipping), HTTP_IDEMPOTENCY_KEY="anon-1")

    # then
    assert_error_shape(response, 401)
    assert not Order.objects.exists()
