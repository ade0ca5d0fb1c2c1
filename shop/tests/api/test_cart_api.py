from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Cart, CartLine
from shop.services.cart import cart_add, cart_for_user
from shop.tests.api.conftest import assert_error_shape
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CART = reverse("api:shop-cart")
LINES = reverse("api:shop-cart-lines")


def line_url(line_id: int) -> str:
    return reverse("api:shop-cart-line", kwargs={"line_id": line_id})


def test_cart_add_puts_the_variant_in_the_users_cart_at_the_server_price(
    shopper_api, shopper, variant
):
    # when: the client also sends prices of its own
    response = shopper_api.post(
        LINES, {"variant_id": variant.pk, "quantity": 2, "unit_price": "1.00", "subtotal": "2.00"}
    )

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["item_count"] == 2
    assert body["subtotal"] == "200000.00"
    assert body["lines"][0]["unit_price"] == "100000.00"
    assert CartLine.objects.get(cart__user=shopper).quantity == 2


def test_cart_get_shows_the_lines(shopper_api, filled_cart, variant):
    # when
    response = shopper_api.get(CART)

    # then
    assert response.status_code == 200
    (line,) = response.json()["lines"]
    assert line["variant_id"] == variant.pk
    assert line["quantity"] == 2
    assert line["line_total"] == "200000.00"


def test_cart_query_count_does_not_grow_with_lines(shopper_api, shopper):
    # given
    cart = cart_for_user(user=shopper)
    for _ in range(3):
        cart_add(cart=cart, variant_id=ProductFactory().variants.get().pk)
    # a fresh user object per request, as every real request has (per-request
    # memos live on it)
    fresh = type(shopper).objects.get
    shopper_api.force_authenticate(fresh(pk=shopper.pk))
    with CaptureQueriesContext(connection) as small:
        shopper_api.get(CART)
    for _ in range(12):
        cart_add(cart=cart, variant_id=ProductFactory().variants.get().pk)

    # when
    shopper_api.force_authenticate(fresh(pk=shopper.pk))
    with CaptureQueriesContext(connection) as large:
        response = shopper_api.get(CART)

    # then
    assert len(response.json()["lines"]) == 15
    assert len(small) == len(large), [q["sql"][:90] for q in small.captured_queries]


@pytest.mark.parametrize("quantity", [-1, 0, 100, 10**12, "lots"])
def test_cart_add_refuses_bad_quantities_and_writes_nothing(shopper_api, quantity, variant):
    # when
    response = shopper_api.post(LINES, {"variant_id": variant.pk, "quantity": quantity})

    # then
    body = assert_error_shape(response, 400)
    assert "quantity" in body["errors"]
    assert not Cart.objects.exists()
    assert not CartLine.objects.exists()


def test_cart_add_refuses_an_unknown_variant_and_writes_nothing(shopper_api):
    # when
    response = shopper_api.post(LINES, {"variant_id": 999999, "quantity": 1})

    # then
    assert assert_error_shape(response, 404)["code"] == "unavailable"
    assert not Cart.objects.exists()


def test_cart_add_refuses_more_than_in_stock(shopper_api, variant):
    # when: only 5 in stock
    response = shopper_api.post(LINES, {"variant_id": variant.pk, "quantity": 6})

    # then
    assert assert_error_shape(response, 409)["code"] == "sold_out"
    assert not CartLine.objects.exists()


def test_cart_line_patch_changes_and_zero_removes(shopper_api, filled_cart):
    # given
    line = filled_cart.lines.get()

    # when
    changed = shopper_api.patch(line_url(line.pk), {"quantity": 3})
    removed = shopper_api.patch(line_url(line.pk), {"quantity": 0})

    # then
    assert changed.status_code == 200
    assert changed.json()["lines"][0]["quantity"] == 3
    assert removed.status_code == 200
    assert removed.json()["lines"] == []


def test_cart_line_patch_refuses_a_negative_quantity(shopper_api, filled_cart):
    # given
    line = filled_cart.lines.get()

    # when
    response = shopper_api.patch(line_url(line.pk), {"quantity": -3})

    # then
    assert_error_shape(response, 400)
    line.refresh_from_db()
    assert line.quantity == 2


def test_cart_line_delete_removes_it(shopper_api, filled_cart):
    # given
    line = filled_cart.lines.get()

    # when
    response = shopper_api.delete(line_url(line.pk))

    # then
    assert response.status_code == 204
    assert not filled_cart.lines.exists()


def test_someone_elses_cart_line_is_404_and_untouched(shopper_api, shopper, filled_cart, variant):
    # given
    other = UserFactory()
    other_cart = cart_for_user(user=other)
    theirs = cart_add(cart=other_cart, variant_id=variant.pk, quantity=1)

    # when
    patched = shopper_api.patch(line_url(theirs.pk), {"quantity": 3})
    deleted = shopper_api.delete(line_url(theirs.pk))

    # then
    assert assert_error_shape(patched, 404)["code"] == "not_found"
    assert_error_shape(deleted, 404)
    theirs.refresh_from_db()
    assert theirs.quantity == 1


def test_anonymous_clients_cannot_use_the_cart(api, variant):
    # when
    read = api.get(CART)
    write = api.post(LINES, {"variant_id": variant.pk, "quantity": 1})

    # then
    assert_error_shape(read, 401)
    assert_error_shape(write, 401)
    assert not CartLine.objects.exists()


def test_cart_subtotal_follows_the_database_price(shopper_api, filled_cart, variant):
    # given
    variant.price = Decimal("90000")
    variant.save()

    # when
    response = shopper_api.get(CART)

    # then
    assert response.json()["subtotal"] == "180000.00"
