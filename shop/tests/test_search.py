from __future__ import annotations

import pytest

from shop import selectors
from shop.models import Product
from shop.tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _search(query: str) -> list[Product]:
    return list(selectors.product_search(query=query, base=Product.objects.visible()))


@pytest.fixture
def catalog():
    shirt = ProductFactory(name="Batik Tulis Shirt", description="Hand drawn with wax.")
    coffee = ProductFactory(
        name="Gayo Arabica",
        description="Single origin beans from Aceh.",
        brand=BrandFactory(name="Kopi Lereng", slug="kopi-lereng"),
    )
    basket = ProductFactory(name="Market Basket", description="Woven by hand.")
    basket.tags.set(["rattan"])
    # PostgreSQL keeps the search vector current through product_refresh.
    from shop.services.catalog import product_refresh

    for product in (shirt, coffee, basket):
        product_refresh(product_id=product.pk)
    ProductFactory(name="Batik Draft", is_published=False)
    return {"shirt": shirt, "coffee": coffee, "basket": basket}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("batik", "shirt"),  # name
        ("kopi lereng", "coffee"),  # brand
        ("rattan", "basket"),  # tag
        ("aceh", "coffee"),  # description
        ("  BATIK   tulis ", "shirt"),
    ],
)
def test_search_finds_by_name_brand_tag_and_description(catalog, query, expected):
    assert _search(query) == [catalog[expected]]


def test_empty_query_finds_nothing(catalog):
    assert _search("   ") == []


def test_search_page_lists_results(client, catalog):
    response = client.get("/shop/search/?q=batik")

    assert response.status_code == 200
    assert list(response.context["products"]) == [catalog["shirt"]]
    assert "Batik Draft" not in response.content.decode()


def test_empty_search_page_helps_with_categories_and_popular_products(client, catalog):
    response = client.get("/shop/search/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "What are you looking for?" in html
    assert "Popular categories" in html
    assert response.context["popular"]


def test_zero_result_search_page_suggests_what_to_try(client, catalog):
    response = client.get("/shop/search/?q=submarine")

    html = response.content.decode()
    assert "Nothing found for" in html
    assert "submarine" in html
    assert "Popular categories" in html
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_search_query_is_escaped_in_the_page(client, catalog):
    html = client.get("/shop/search/?q=<script>alert(1)</script>").content.decode()

    assert "<script>alert(1)</script>" not in html


def test_suggestions_return_at_most_six_names(catalog):
    for n in range(8):
        ProductFactory(name=f"Batik Sarong {n}")

    suggestions = selectors.product_suggestions(query="batik", base=Product.objects.visible())

    assert len(suggestions) == 6
    assert all("Batik" in item["name"] for item in suggestions)
    assert selectors.product_suggestions(query="b", base=Product.objects.visible()) == []


def test_postgres_ranks_a_name_match_above_a_description_match(postgres_required):
    # given
    from shop.services.catalog import product_refresh

    in_description = ProductFactory(name="Cotton Sarong", description="A batik pattern, printed.")
    in_name = ProductFactory(name="Batik Shirt", description="A shirt.")
    for product in (in_description, in_name):
        product_refresh(product_id=product.pk)

    # then
    assert _search("batik") == [in_name, in_description]


def test_postgres_trigram_similarity_forgives_typos(postgres_required, catalog):
    assert catalog["shirt"] in _search("batk")
    assert catalog["coffee"] in _search("arabika")
    assert catalog["basket"] not in _search("batk")


def test_postgres_websearch_syntax_excludes_words(postgres_required, catalog):
    ProductFactory(name="Batik Scarf")
    from shop.services.catalog import products_refresh_all

    products_refresh_all()

    names = [p.name for p in _search("batik -scarf")]

    assert "Batik Tulis Shirt" in names
    assert "Batik Scarf" not in names
