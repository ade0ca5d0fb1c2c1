from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.tests.factories import BrandFactory, ProductFactory, VariantFactory, category_create

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("api:shop-products")


def product_queries(api, count: int, **params) -> tuple[int, dict]:
    for _ in range(count):
        ProductFactory()
    with CaptureQueriesContext(connection) as queries:
        response = api.get(PRODUCTS, params)
    assert response.status_code == 200
    return len(queries), response.json()


def test_product_list_query_count_does_not_grow_with_the_page(api):
    # given / when
    small, small_body = product_queries(api, 3)
    large, large_body = product_queries(api, 12)

    # then
    assert small_body["count"] == 3
    assert large_body["count"] == 15
    assert len(large_body["results"]) == 15
    assert small == large


def test_product_list_shows_cards_of_published_products_only(api):
    # given
    shown = ProductFactory(name="Batik Parang", variant__price=Decimal("120000"))
    ProductFactory(is_published=False)

    # when
    response = api.get(PRODUCTS)

    # then
    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body["results"]] == [shown.slug]
    card = body["results"][0]
    assert card["min_price"] == "120000.00"
    assert card["in_stock"] is True
    assert card["brand"]["slug"] == shown.brand.slug
    assert card["category"]["slug"] == shown.category.slug


def test_product_list_filters_by_category_brand_price_and_stock(api):
    # given
    kain = category_create("Kain")
    tulis = category_create("Tulis", parent=kain)
    other = category_create("Keramik")
    brand = BrandFactory(slug="sogan")
    wanted = ProductFactory(category=tulis, brand=brand, variant__price=Decimal("150000"))
    ProductFactory(category=tulis, brand=brand, variant__price=Decimal("900000"))
    ProductFactory(category=tulis, brand=brand, variant__price=Decimal("150000"), variant__stock=0)
    ProductFactory(category=other, brand=brand, variant__price=Decimal("150000"))
    ProductFactory(category=tulis, variant__price=Decimal("150000"))

    # when
    response = api.get(
        PRODUCTS,
        {
            "category": "kain",
            "brand": "sogan",
            "min_price": "100000",
            "max_price": "200000",
            "in_stock": "true",
        },
    )

    # then
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [wanted.pk]


def test_product_list_filters_by_tag_and_unknown_category_gives_nothing(api):
    # given
    tagged = ProductFactory()
    tagged.tags.add("handmade")
    ProductFactory()

    # when
    by_tag = api.get(PRODUCTS, {"tag": "handmade"})
    unknown = api.get(PRODUCTS, {"category": "no-such-category"})

    # then
    assert [p["id"] for p in by_tag.json()["results"]] == [tagged.pk]
    assert unknown.json()["count"] == 0


def test_product_list_searches_and_sorts(api):
    # given
    cheap = ProductFactory(name="Batik Kawung", variant__price=Decimal("50000"))
    dear = ProductFactory(name="Batik Parang", variant__price=Decimal("250000"))
    ProductFactory(name="Keramik Vas")

    # when
    searched = api.get(PRODUCTS, {"q": "batik", "ordering": "price_desc"})
    ascending = api.get(PRODUCTS, {"ordering": "price_asc"})

    # then
    assert [p["id"] for p in searched.json()["results"]] == [dear.pk, cheap.pk]
    assert ascending.json()["results"][0]["id"] == cheap.pk


def test_product_list_refuses_bad_filters_with_the_error_shape(api):
    # when
    response = api.get(PRODUCTS, {"min_price": "-5", "ordering": "cheapest"})

    # then
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert {"min_price", "ordering"} <= set(body["errors"])


def test_product_detail_lists_variants_with_price_and_availability(api):
    # given
    product = ProductFactory(variant__price=Decimal("100000"), variant__stock=3)
    VariantFactory(product=product, options={"Size": "L"}, price=Decimal("110000"), stock=0)
    product.tags.add("handmade")

    # when
    response = api.get(reverse("api:shop-product", kwargs={"slug": product.slug}))

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == product.name
    assert body["tags"] == ["handmade"]
    assert body["images"] == []
    by_price = {v["price"]: v for v in body["variants"]}
    assert by_price["100000.00"]["available"] == 3
    assert by_price["100000.00"]["in_stock"] is True
    assert by_price["110000.00"]["in_stock"] is False
    assert by_price["110000.00"]["options"] == {"Size": "L"}


def test_product_detail_of_a_hidden_or_unknown_product_is_404(api):
    # given
    hidden = ProductFactory(is_published=False)

    # when
    hidden_response = api.get(reverse("api:shop-product", kwargs={"slug": hidden.slug}))
    unknown_response = api.get(reverse("api:shop-product", kwargs={"slug": "nope"}))

    # then
    assert hidden_response.status_code == 404
    assert unknown_response.json()["code"] == "not_found"


def test_category_list_query_count_does_not_grow(api):
    # given
    for i in range(3):
        category_create(f"Small {i}")
    with CaptureQueriesContext(connection) as small:
        first = api.get(reverse("api:shop-categories"))
    for i in range(12):
        category_create(f"Large {i}")

    # when
    with CaptureQueriesContext(connection) as large:
        second = api.get(reverse("api:shop-categories"))

    # then
    assert first.json()["count"] == 3
    assert second.json()["count"] == 15
    assert len(small) == len(large)
