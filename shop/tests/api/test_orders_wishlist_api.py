from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import WishlistItem
from shop.tests.api.conftest import assert_error_shape, order_create
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = reverse("api:shop-orders")
WISHLIST = reverse("api:shop-wishlist")


def order_url(number: str) -> str:
    return reverse("api:shop-order", kwargs={"number": number})


def test_order_list_shows_only_my_orders(shopper_api, shopper):
    # given
    mine = order_create(user=shopper, number="KP-MINE", lines=2)
    order_create(user=UserFactory(), number="KP-THEIRS")

    # when
    response = shopper_api.get(ORDERS)

    # then
    assert response.status_code == 200
    body = response.json()
    assert [o["number"] for o in body["results"]] == [mine.number]
    assert body["results"][0]["item_count"] == 4


def test_order_list_query_count_does_not_grow(shopper_api, shopper):
    # given
    for i in range(3):
        order_create(user=shopper, number=f"KP-S{i}", lines=2)
    with CaptureQueriesContext(connection) as small:
        shopper_api.get(ORDERS)
    for i in range(12):
        order_create(user=shopper, number=f"KP-L{i}", lines=2)

    # when
    with CaptureQueriesContext(connection) as large:
        response = shopper_api.get(ORDERS)

    # then
    assert response.json()["count"] == 15
    assert len(small) == len(large)


def test_order_detail_shows_my_order_with_lines(shopper_api, shopper):
    # given
    order = order_create(user=shopper, number="KP-DETAIL", lines=2)

    # when
    response = shopper_api.get(order_url(order.number))

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == "KP-DETAIL"
    assert len(body["lines"]) == 2
    assert body["payment"] is None


def test_someone_elses_order_is_404(shopper_api):
    # given
    theirs = order_create(user=UserFactory(), number="KP-THEIRS")

    # when
    response = shopper_api.get(order_url(theirs.number))

    # then
    assert assert_error_shape(response, 404)["code"] == "not_found"


def test_anonymous_clients_cannot_see_orders(api, shopper):
    # given
    order = order_create(user=shopper, number="KP-ANON")

    # when / then
    assert_error_shape(api.get(ORDERS), 401)
    assert_error_shape(api.get(order_url(order.number)), 401)


def test_wishlist_add_list_and_remove(shopper_api, shopper):
    # given
    product = ProductFactory()

    # when
    added = shopper_api.post(WISHLIST, {"product_id": product.pk})
    again = shopper_api.post(WISHLIST, {"product_id": product.pk})
    listed = shopper_api.get(WISHLIST)
    removed = shopper_api.delete(
        reverse("api:shop-wishlist-item", kwargs={"product_id": product.pk})
    )

    # then
    assert added.status_code == 201
    assert added.json()["product"]["slug"] == product.slug
    assert again.status_code == 200
    assert [i["product"]["id"] for i in listed.json()["results"]] == [product.pk]
    assert removed.status_code == 204
    assert not WishlistItem.objects.filter(user=shopper).exists()


def test_wishlist_refuses_unknown_products_and_writes_nothing(shopper_api):
    # given
    hidden = ProductFactory(is_published=False)

    # when
    unknown = shopper_api.post(WISHLIST, {"product_id": 999999})
    unpublished = shopper_api.post(WISHLIST, {"product_id": hidden.pk})
    negative = shopper_api.post(WISHLIST, {"product_id": -1})
    not_there = shopper_api.delete(
        reverse("api:shop-wishlist-item", kwargs={"product_id": hidden.pk})
    )

    # then
    assert_error_shape(unknown, 404)
    assert_error_shape(unpublished, 404)
    assert_error_shape(negative, 400)
    assert_error_shape(not_there, 404)
    assert not WishlistItem.objects.exists()


def test_wishlist_query_count_does_not_grow(shopper_api, shopper):
    # given
    for _ in range(3):
        WishlistItem.objects.create(user=shopper, product=ProductFactory())
    with CaptureQueriesContext(connection) as small:
        shopper_api.get(WISHLIST)
    for _ in range(12):
        WishlistItem.objects.create(user=shopper, product=ProductFactory())

    # when
    with CaptureQueriesContext(connection) as large:
        response = shopper_api.get(WISHLIST)

    # then
    assert response.json()["count"] == 15
    assert len(small) == len(large)


def test_anonymous_wishlist_writes_are_refused(api):
    # given
    product = ProductFactory()

    # when
    response = api.post(WISHLIST, {"product_id": product.pk})

    # then
    assert_error_shape(response, 401)
    assert not WishlistItem.objects.exists()
