from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from shop import selectors
from shop.models import Product, SearchWord
from shop.services.catalog import product_create
from shop.services.search_index import search_index_rebuild, search_index_update
from shop.tests.factories import BrandFactory, ProductFactory, category_create

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


# ------------------------------------------------------- typos and languages
# Every test below runs on the backend the suite runs on: PostgreSQL
# (DATABASE_URL) or SQLite's FTS5 tables (without it).
@pytest.fixture
def pantry(db):
    """Indonesian translations for two products, none for the third."""
    category = category_create("Pantry")
    shirt = product_create(
        name="Batik shirt",
        description="A hand-drawn cotton shirt.",
        category=category,
        price=Decimal("250000"),
        sku="SHIRT-1",
        is_published=True,
        tags=["cotton"],
        translations={"id": {"name": "Kemeja batik", "description": "Kemeja tulis dari Solo."}},
        tag_translations={"id": ["katun"]},
    )
    sauce = product_create(
        name="Chilli relish",
        description="Hot, from Manado.",
        category=category,
        price=Decimal("45000"),
        sku="SAMBAL-1",
        is_published=True,
        translations={"id": {"name": "Sambal roa", "description": "Pedas, dari Manado."}},
    )
    scarf = product_create(
        name="Batik scarf",
        description="Silk, dyed with indigo.",
        category=category,
        price=Decimal("150000"),
        sku="SCARF-1",
        is_published=True,
    )
    return {"shirt": shirt, "sauce": sauce, "scarf": scarf}


def _search_in(language: str, query: str) -> selectors.SearchResults:
    with translation.override(language):
        return selectors.product_search_results(query=query, base=Product.objects.visible())


def test_indonesian_search_finds_indonesian_names_descriptions_and_tags(pantry):
    assert list(_search_in("id", "kemeja").queryset) == [pantry["shirt"]]
    assert list(_search_in("id", "pedas").queryset) == [pantry["sauce"]]
    assert list(_search_in("id", "katun").queryset) == [pantry["shirt"]]
    # English is the fallback of an untranslated product, not of a translated one.
    assert list(_search_in("id", "scarf").queryset) == [pantry["scarf"]]
    assert list(_search_in("id", "relish").queryset) == []


def test_english_search_does_not_find_indonesian_text(pantry):
    assert list(_search_in("en", "kemeja").queryset) == []
    assert list(_search_in("en", "relish").queryset) == [pantry["sauce"]]


@pytest.mark.parametrize(
    ("language", "typed", "corrected", "expected"),
    [
        ("id", "kemja", "kemeja", "shirt"),
        ("id", "sambl", "sambal", "sauce"),
        ("id", "batk", "batik", "shirt"),
        ("en", "batk", "batik", "shirt"),
        ("en", "sirt", "shirt", "shirt"),
        ("en", "batik scraf", "batik scarf", "scarf"),
    ],
)
def test_a_typo_finds_the_corrected_words(pantry, language, typed, corrected, expected):
    results = _search_in(language, typed)

    assert results.corrected == corrected
    assert pantry[expected] in list(results.queryset)
    assert results.count == len(list(results.queryset))


def test_a_word_nothing_resembles_is_not_corrected(pantry):
    results = _search_in("en", "submarine")

    assert (results.corrected, results.suggestion, results.count) == ("", "", 0)


def test_the_nearest_word_wins_over_a_more_common_farther_one(pantry):
    # given: "shirts" is in one product, "shirt" in two
    category = category_create("More")
    product_create(
        name="Plain tee",
        description="Two shirts in a pack.",
        category=category,
        price=Decimal("1"),
        sku="TEE-1",
        is_published=True,
    )
    product_create(
        name="Linen shirt", category=category, price=Decimal("1"), sku="LIN-1", is_published=True
    )

    # then: "shrts" is one edit from "shirts", two from "shirt"
    assert _search_in("en", "shrts").corrected == "shirts"
    # and among words one edit away the more common one wins
    assert _search_in("en", "shirtz").corrected == "shirt"


def test_a_word_of_names_wins_over_a_more_common_word_of_descriptions(pantry):
    # given: "back" (one edit from "batk", like "batik") in three descriptions
    category = category_create("Bags")
    for n in range(3):
        product_create(
            name=f"Rattan bag {n}",
            description="Carry it on your back.",
            category=category,
            price=Decimal("1"),
            sku=f"BAG-{n}",
            is_published=True,
        )

    # then: "batik" names two products and wins
    assert _search_in("en", "batk").corrected == "batik"


def test_operators_are_not_corrected(pantry):
    assert _search_in("en", "batk -scarf").count == 0
    assert [p.name for p in _search_in("en", "batik -scarf").queryset] == ["Batik shirt"]
    assert {p.name for p in _search_in("en", "scarf or relish").queryset} == {
        "Batik scarf",
        "Chilli relish",
    }
    assert [p.name for p in _search_in("en", '"batik scarf"').queryset] == ["Batik scarf"]


@pytest.mark.parametrize(
    "query", ['"', '""', "*", "NEAR(a b)", "name:batik", "a AND", "^batik", "batik)", "-"]
)
def test_search_syntax_characters_never_break_the_query(pantry, query):
    results = _search_in("en", query)

    list(results.queryset)  # no error from the index's query parser


def test_suggestions_complete_the_last_word_in_the_visitors_language(pantry):
    with translation.override("id"):
        names = [
            s["name"]
            for s in selectors.product_suggestions(query="kem", base=Product.objects.visible())
        ]
        typo = [
            s["name"]
            for s in selectors.product_suggestions(query="kemja", base=Product.objects.visible())
        ]
    with translation.override("en"):
        english = [
            s["name"]
            for s in selectors.product_suggestions(query="batik sc", base=Product.objects.visible())
        ]

    assert names == ["Kemeja batik"]
    assert typo == ["Kemeja batik"]
    assert english == ["Batik scarf"]


def test_the_index_follows_a_changed_translation(pantry):
    # given
    Product.objects.filter(pk=pantry["scarf"].pk).update(name_ind="Selendang batik")

    # when
    search_index_update(product_ids=[pantry["scarf"].pk])

    # then
    assert list(_search_in("id", "selendang").queryset) == [pantry["scarf"]]
    assert list(_search_in("id", "scarf").queryset) == []


def test_a_deleted_product_leaves_the_index(pantry):
    pk = pantry["scarf"].pk
    pantry["scarf"].variants.all().delete()
    Product.objects.filter(pk=pk).delete()
    search_index_update(product_ids=[pk])

    assert _search_in("en", "scarf").count == 0


def test_rebuild_indexes_every_product_and_forgets_gone_words(pantry):
    Product.objects.filter(pk=pantry["scarf"].pk).update(name_en="Silk shawl")

    assert search_index_rebuild() == 3

    assert list(_search_in("en", "shawl").queryset) == [pantry["scarf"]]
    assert not SearchWord.objects.filter(language="en", word="scarf").exists()


# ------------------------------------------------------------- query counts
def test_a_common_search_counts_once_and_never_corrects(pantry, django_assert_num_queries):
    for n in range(selectors.SEARCH_THIN):
        ProductFactory(name=f"Batik sarong {n}")
    base = Product.objects.visible()

    # count, the page, its first images; no word-list lookup
    with django_assert_num_queries(3) as captured:
        results = selectors.product_search_results(query="batik", base=base)
        page = selectors.product_page(queryset=results.queryset, page=1, count=results.count)
        list(page.object_list)

    assert results.count == selectors.SEARCH_THIN + 2
    assert sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries) == 1
    assert not any("shop_searchword" in q["sql"] for q in captured.captured_queries)


def test_a_typo_search_costs_a_constant_number_of_queries(pantry, django_assert_num_queries):
    base = Product.objects.visible()
    # count, word list, candidate counts, corrected count, page, first images
    with django_assert_num_queries(6):
        results = selectors.product_search_results(query="batk scraf", base=base)
        page = selectors.product_page(queryset=results.queryset, page=1, count=results.count)
        list(page.object_list)
    for n in range(10):
        ProductFactory(name=f"Batik scarf {n}")
    with django_assert_num_queries(6):
        results = selectors.product_search_results(query="batk scraf", base=base)
        page = selectors.product_page(queryset=results.queryset, page=1, count=results.count)
        list(page.object_list)
    assert results.count == 11


def test_suggestions_cost_at_most_two_queries_when_names_match(
    pantry, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        selectors.product_suggestions(query="bat", base=Product.objects.visible())


# ------------------------------------------------------------------- pages
def test_the_search_page_shows_results_for_the_corrected_words(client, pantry):
    html = client.get("/id/shop/search/?q=kemja").content.decode()

    assert "Kemeja batik" in html
    assert "<strong>kemeja</strong>" in html


def test_a_rare_word_keeps_its_few_results_and_suggests_the_common_one(client, pantry):
    # given: "sambel" is in one product, "sambal" in three
    category = category_create("Sauces")
    product_create(
        name="Sambel goreng", category=category, price=Decimal("1"), sku="S-0", is_published=True
    )
    for n in range(3):
        product_create(
            name=f"Sambal {n}",
            category=category,
            price=Decimal("1"),
            sku=f"S-{n + 1}",
            is_published=True,
        )

    # when
    response = client.get("/shop/search/?q=sambel")

    # then
    html = response.content.decode()
    assert [p.name for p in response.context["products"]] == ["Sambel goreng"]
    assert "Did you mean" in html
    assert 'href="/shop/search/?q=sambal"' in html


def test_a_word_as_common_as_its_neighbour_is_left_alone(pantry):
    category = category_create("Sauces")
    for n, name in enumerate(["Sambel goreng", "Sambal ijo"]):
        product_create(
            name=name, category=category, price=Decimal("1"), sku=f"S-{n}", is_published=True
        )

    results = _search_in("en", "sambel")

    assert (results.count, results.suggestion, results.corrected) == (1, "", "")


def _page_queries(client, url: str, assert_max) -> int:
    with assert_max(12) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(("few", "more"), [(30, 60), (2, 10)])
def test_the_search_page_costs_the_same_queries_for_more_matches(
    client, django_assert_max_num_queries, few, more
):
    # given: matches above a page, or a thin match (the typo path)
    for n in range(few):
        ProductFactory(name=f"Batik sarong {n}")
    with_few = _page_queries(client, "/shop/search/?q=sarong", django_assert_max_num_queries)

    # when
    for n in range(few, more):
        ProductFactory(name=f"Batik sarong {n}")
    with_more = _page_queries(client, "/shop/search/?q=sarong", django_assert_max_num_queries)

    # then
    assert with_few == with_more


# -------------------------------------------------------------- page cache
def test_a_visitors_search_is_served_from_the_page_cache_until_the_catalogue_changes(
    settings, pantry, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given
    settings.PAGE_CACHE_SECONDS = 300
    first = Client().get("/shop/search/?q=batik")

    # when
    with django_assert_num_queries(0):
        second = Client().get("/shop/search/?q=batik")

    # then
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second["X-Robots-Tag"] == "noindex"
    assert "Batik scarf" in second.content.decode()
    assert "kampunghole" not in second.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        product_create(
            name="Batik bag",
            category=pantry["scarf"].category,
            price=Decimal("1"),
            sku="BAG-1",
            is_published=True,
        )
    assert "Batik bag" in Client().get("/shop/search/?q=batik").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/shop/search/?q=submarine",  # found nothing
        "/shop/search/?q=batik++scarf",  # not as the search box sends it
        "/shop/search/?q=batik&sort=nonsense",
        "/shop/search/?q=batik&page=x",
    ],
)
def test_searches_that_are_never_stored(settings, pantry, url):
    settings.PAGE_CACHE_SECONDS = 300

    first, second = Client().get(url), Client().get(url)

    assert "X-Page-Cache" not in first
    assert "X-Page-Cache" not in second
    assert "kampunghole" not in second.content.decode()
