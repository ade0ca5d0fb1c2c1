"""Every shop endpoint a client writes against shows request and response
examples in /api/schema/, and each example has the shape the endpoint
really answers with."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from shop.api import examples as ex
from shop.services.wishlist import wishlist_add
from shop.tests.api.conftest import ADDRESS

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _request_examples(operation: dict) -> dict:
    return operation["requestBody"]["content"][JSON].get("examples", {})


def _response_examples(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"][JSON].get("examples", {})


@pytest.mark.parametrize(
    ("path", "method", "request_count", "statuses"),
    [
        ("/api/v1/shop/products/", "get", 0, ["200"]),
        ("/api/v1/shop/products/{slug}/", "get", 0, ["200"]),
        ("/api/v1/shop/cart/", "get", 0, ["200"]),
        ("/api/v1/shop/cart/lines/", "post", 1, ["201", "409"]),
        ("/api/v1/shop/cart/lines/{line_id}/", "patch", 2, ["200", "409"]),
        ("/api/v1/shop/checkout/", "post", 2, ["201", "400", "409"]),
        ("/api/v1/shop/orders/", "get", 0, ["200"]),
        ("/api/v1/shop/orders/{number}/", "get", 0, ["200"]),
        ("/api/v1/shop/wishlist/", "get", 0, ["200"]),
        ("/api/v1/shop/wishlist/", "post", 1, ["201", "200"]),
    ],
)
def test_shop_endpoints_show_request_and_response_examples(
    schema, path, method, request_count, statuses
):
    operation = schema["paths"][path][method]
    if request_count:
        assert len(_request_examples(operation)) == request_count
    for status in statuses:
        assert _response_examples(operation, status), (path, method, status)


def test_checkout_documents_its_idempotency_key_header_and_both_gateways(schema):
    checkout = schema["paths"]["/api/v1/shop/checkout/"]["post"]

    [header] = [p for p in checkout["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is True
    assert "same key" in header["description"]
    gateways = {e["value"]["payment_gateway"] for e in _request_examples(checkout).values()}
    assert gateways == {"test_card", "bank_transfer"}
    statuses = {e["value"]["status"] for e in _response_examples(checkout, "201").values()}
    assert statuses == {"paid", "pending_payment"}
    [missing_key] = _response_examples(checkout, "400").values()
    assert missing_key["value"]["code"] == "idempotency_key_required"


def test_list_examples_are_shown_as_a_page(schema):
    orders = schema["paths"]["/api/v1/shop/orders/"]["get"]
    [page] = _response_examples(orders, "200").values()
    assert set(page["value"]) == {"count", "next", "previous", "results"}
    assert page["value"]["results"] == [ex.ORDER_SUMMARY]


def _shape(value):
    """Keys all the way down: what a client's parser depends on."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_examples_have_the_shape_of_real_responses(shopper_api, shopper, variant, shipping):
    # given a product on the wishlist and a line in the cart
    product = variant.product
    product.tags.add("batik")
    wishlist_add(user=shopper, product_id=product.pk)
    cart = shopper_api.post(
        reverse("api:shop-cart-lines"), {"variant_id": variant.pk, "quantity": 2}, format="json"
    )

    # when an order is placed and every documented read is made
    order = shopper_api.post(
        reverse("api:shop-checkout"),
        {
            "shipping_address": ADDRESS,
            "shipping_method_id": shipping.pk,
            "payment_gateway": "bank_transfer",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="shape-1",
    )
    orders = shopper_api.get(reverse("api:shop-orders"))
    detail = shopper_api.get(reverse("api:shop-product", args=[product.slug]))
    products = shopper_api.get(reverse("api:shop-products"))
    wishlist = shopper_api.get(reverse("api:shop-wishlist"))

    # then each example has the keys the API really returns
    assert cart.status_code == 201
    assert _shape(cart.json()) == _shape(ex.CART)
    assert order.status_code == 201
    assert _shape(order.json()) == _shape(ex.ORDER) == _shape(ex.PENDING_ORDER)
    assert _shape(orders.json()["results"][0]) == _shape(ex.ORDER_SUMMARY)
    # (a variant's options are free-form: {"Size": "M"} or {})
    assert set(detail.json()["variants"][0]) == set(ex.PRODUCT["variants"][0])
    assert set(detail.json()) == set(ex.PRODUCT)
    assert set(products.json()["results"][0]) == set(ex.PRODUCT_CARD)
    assert set(wishlist.json()["results"][0]) == set(ex.WISHLIST_ITEM)
    assert set(wishlist.json()["results"][0]["product"]) == set(ex.PRODUCT_CARD)


def test_checkout_examples_are_accepted_by_the_checkout(shopper_api, variant, shipping):
    # given the documented request, pointed at this database's rows
    shopper_api.post(
        reverse("api:shop-cart-lines"), {"variant_id": variant.pk, "quantity": 1}, format="json"
    )
    body = {**ex.BANK_TRANSFER_CHECKOUT_REQUEST, "shipping_method_id": shipping.pk}

    # when
    response = shopper_api.post(
        reverse("api:shop-checkout"), body, format="json", HTTP_IDEMPOTENCY_KEY="doc-1"
    )

    # then
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending_payment"
