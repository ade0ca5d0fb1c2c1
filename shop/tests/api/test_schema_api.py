from __future__ import annotations

import json

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_documents_the_shop_api_with_a_checkout_example(client):
    # when
    response = client.get("/api/schema/", {"format": "json"})

    # then
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    paths = schema["paths"]
    assert {
        "/api/v1/shop/products/",
        "/api/v1/shop/products/{slug}/",
        "/api/v1/shop/categories/",
        "/api/v1/shop/cart/",
        "/api/v1/shop/cart/lines/",
        "/api/v1/shop/cart/lines/{line_id}/",
        "/api/v1/shop/checkout/",
        "/api/v1/shop/orders/",
        "/api/v1/shop/orders/{number}/",
        "/api/v1/shop/wishlist/",
        "/api/v1/shop/wishlist/{product_id}/",
    } <= set(paths)
    checkout = paths["/api/v1/shop/checkout/"]["post"]
    assert any(
        p["in"] == "header" and p["name"] == "Idempotency-Key" and p["required"]
        for p in checkout["parameters"]
    )
    assert checkout["requestBody"]["content"]["application/json"]["examples"]
    assert {"201", "400", "401", "409"} <= set(checkout["responses"])
