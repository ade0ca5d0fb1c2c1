from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from shop.models import Order, OrderLine, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.tests.factories import ProductFactory, ShippingMethodFactory, UserFactory

ADDRESS = {
    "full_name": "Siti Rahma",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Melati 12",
    "city": "Yogyakarta",
    "postal_code": "55281",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def shopper_api(shopper) -> APIClient:
    client = APIClient()
    client.force_authenticate(shopper)
    return client


@pytest.fixture
def variant(db) -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


@pytest.fixture
def shipping(db):
    return ShippingMethodFactory(price=Decimal("15000"))


@pytest.fixture
def filled_cart(shopper, variant):
    cart = cart_for_user(user=shopper)
    cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    return cart


def order_create(*, user, number: str, lines: int = 1) -> Order:
    order = Order.objects.create(
        number=number,
        user=user,
        email=user.email,
        currency="IDR",
        subtotal=Decimal("100000"),
        total=Decimal("100000"),
        payment_gateway="bank_transfer",
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_name=f"Item {i}",
            sku=f"SKU-{number}-{i}",
            unit_price=Decimal("50000"),
            quantity=2,
            line_total=Decimal("100000"),
        )
        for i in range(lines)
    )
    return order


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    return body
