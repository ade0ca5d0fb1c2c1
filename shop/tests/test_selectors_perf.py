"""The read paths' costs: facet and count caching, card columns, and search
through the indexes (bench/README.md, "Why the pages miss")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core import hooks
from shop import selectors
from shop.cache import catalog_changed
from shop.models import Product, ProductImage
from shop.tests.factories import BrandFactory, ProductFactory, UserFactory, category_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    """A root category whose products sit in a child category: 3 brands,
    2 tags, one product without a brand."""
    home = category_create("Home")
    lamps = category_create("Lamps", parent=home)
    anyar, bamboo, cahaya = (
        BrandFactory(name="Anyar", slug="anyar"),
        BrandFactory(name="Bamboo Co", slug="bamboo-co"),
        BrandFactory(name="Cahaya", slug="cahaya"),
    )
    for brand, tags in [
        (cahaya, ["handmade"]),
        (anyar, ["handmade", "rattan"]),
        (anyar, ["rattan"]),
        (bamboo, ["handmade"]),
        (None, []),
    ]:
        product = ProductFactory(category=lamps, brand=brand)
        product.tags.add(*tags)
    ProductFactory(category=category_create("Elsewhere"), brand=anyar).tags.add("handmade")
    home.refresh_from_db()  # a new root sorts by name and may move the others' paths
    return selectors.category_products(category=home, base=Product.objects.visible()), home


def _warm_content_types() -> None:
    ContentType.objects.get_for_model(Product)  # cached per process after the first read


# ---------------------------------------------------------------------- facets
def test_facets_count_brands_by_name_and_tags_by_count(listing):
    queryset, _category = listing

    facets = selectors.product_facets(queryset=queryset)

    assert facets.brands == [
        {"slug": "anyar", "name": "Anyar", "count": 2},
        {"slug": "bamboo-co", "name": "Bamboo Co", "count": 1},
        {"slug": "cahaya", "name": "Cahaya", "count": 1},
    ]
    assert facets.tags == [
        {"slug": "handmade", "name": "handmade", "count": 3},
        {"slug": "rattan", "name": "rattan", "count": 2},
    ]


def test_facets_limit_keeps_the_first_brands_by_name_and_the_commonest_tags(listing):
    queryset, _category = listing

    facets = selectors.product_facets(queryset=queryset, limit=1)

    assert [b["slug"] for b in facets.brands] == ["anyar"]
    assert [t["slug"] for t in facets.tags] == ["handmade"]


def test_facets_of_an_empty_listing_cost_two_queries(django_assert_num_queries):
    _warm_content_types()
    with django_assert_num_queries(2):
        facets = selectors.product_facets(queryset=Product.objects.filter(pk=-1))

    assert facets.brands == [] and facets.tags == []


def test_uncached_facets_group_ids_first_then_read_the_names(listing, django_assert_num_queries):
    queryset, _category = listing
    _warm_content_types()

    with django_assert_num_queries(4) as captured:
        selectors.product_facets(queryset=queryset)

    brand_counts = captured.captured_queries[0]["sql"]
    assert "GROUP BY" in brand_counts
    assert "shop_brand" not in brand_counts  # names are read afterwards


def test_cached_facets_cost_no_query_the_second_time(listing, django_assert_num_queries):
    # given
    queryset, category = listing
    scope = selectors.listing_cache_scope(category=category)
    first = selectors.product_facets(queryset=queryset, cache_scope=scope)

    # when
    with django_assert_num_queries(0):
        second = selectors.product_facets(queryset=queryset, cache_scope=scope)

    # then
    assert second == first


def test_cached_facets_are_read_again_after_a_catalog_change(
    listing, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given: cached facets, then a new brand in the category
    queryset, category = listing
    scope = selectors.listing_cache_scope(category=category)
    selectors.product_facets(queryset=queryset, cache_scope=scope)
    ProductFactory(
        category=category_create("Lamps"), brand=BrandFactory(name="Damar", slug="damar")
    )

    # when: stale until the catalogue generation changes
    with django_assert_num_queries(0):
        stale = selectors.product_facets(queryset=queryset, cache_scope=scope)
    with django_capture_on_commit_callbacks(execute=True):
        catalog_changed()
    fresh = selectors.product_facets(queryset=queryset, cache_scope=scope)

    # then
    assert "damar" not in [b["slug"] for b in stale.brands]
    assert "damar" in [b["slug"] for b in fresh.brands]


def test_facets_are_cached_per_category(listing):
    queryset, category = listing
    elsewhere = category_create("Elsewhere")
    elsewhere.refresh_from_db()
    elsewhere_products = selectors.category_products(
        category=elsewhere, base=Product.objects.visible()
    )

    home = selectors.product_facets(
        queryset=queryset, cache_scope=selectors.listing_cache_scope(category=category)
    )
    other = selectors.product_facets(
        queryset=elsewhere_products,
        cache_scope=selectors.listing_cache_scope(category=elsewhere),
    )

    assert [b["count"] for b in home.brands] == [2, 1, 1]
    assert other.brands == [{"slug": "anyar", "name": "Anyar", "count": 1}]


def test_no_cache_scope_for_a_member_an_early_access_hook_opens_products_to():
    category = category_create("Home")
    user, other = UserFactory(), UserFactory()

    def early_access(member):
        return {123} if member == user else set()

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        assert selectors.listing_cache_scope(category=category, user=user) is None
        assert selectors.listing_cache_scope(category=category, user=other) is not None
        assert selectors.listing_cache_scope(category=category, user=None) is not None
    assert selectors.listing_cache_scope(category=category, user=user) is not None
    assert selectors.listing_cache_scope(category=None) != selectors.listing_cache_scope(
        category=category
    )


# ----------------------------------------------------------------------- count
def test_cached_count_skips_the_count_query_until_the_catalog_changes(
    listing, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given
    queryset, category = listing
    scope = selectors.listing_cache_scope(category=category)
    first = selectors.product_page(queryset=queryset, page=1, count_cache_scope=scope)
    list(first.object_list)

    # when: the page's products and images, no COUNT
    with django_assert_num_queries(2) as captured:
        second = selectors.product_page(queryset=queryset, page=1, count_cache_scope=scope)
        list(second.object_list)
    ProductFactory(category=category_create("Lamps"))
    with django_capture_on_commit_callbacks(execute=True):
        catalog_changed()
    third = selectors.product_page(queryset=queryset, page=1, count_cache_scope=scope)

    # then
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert first.paginator.count == second.paginator.count == 5
    assert third.paginator.count == 6


def test_page_without_a_cache_scope_counts_every_time(listing, django_assert_num_queries):
    queryset, _category = listing
    selectors.product_page(queryset=queryset, page=1)

    with django_assert_num_queries(1):
        assert selectors.product_page(queryset=queryset, page=1).paginator.count == 5


# ----------------------------------------------------------------------- cards
def _card_sql(captured) -> str:
    return next(q["sql"] for q in captured.captured_queries if "shop_product" in q["sql"])


def test_cards_read_only_the_card_columns(listing):
    queryset, _category = listing

    with CaptureQueriesContext(connection) as captured:
        list(selectors.product_cards(queryset))

    sql = _card_sql(captured)
    for column in (
        "description_en",
        "description_html_en",
        "search_vector_en",
        "search_vector_ind",
        "seo_title_en",
        "view_count",
    ):
        assert f'"shop_product"."{column}"' not in sql
    assert '"shop_category"."description"' not in sql


def test_cards_render_as_full_products_would_without_another_query(
    listing, django_assert_num_queries
):
    # given: the cards, and the same products read whole
    queryset, _category = listing
    for product in Product.objects.all():
        ProductImage.objects.create(
            product=product, image=f"p/{product.pk}.webp", card=f"p/{product.pk}-card.webp"
        )
    cards = list(selectors.product_cards(queryset.order_by("pk")))
    whole = list(queryset.select_related("brand", "category").order_by("pk"))
    for product in whole:
        product.card_images = list(product.images.order_by("position", "pk")[:1])

    # when
    with django_assert_num_queries(0):
        rendered_cards = render_to_string("shop/includes/product_grid.html", {"products": cards})
    rendered_whole = render_to_string("shop/includes/product_grid.html", {"products": whole})

    # then
    assert rendered_cards == rendered_whole
    assert "-card.webp" in rendered_cards


# ---------------------------------------------------------------------- search
def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


@pytest.mark.parametrize(("language", "index"), [("en", "en"), ("id", "ind")])
def test_postgres_search_uses_the_gin_index_of_the_visitors_language(
    postgres_required, language, index
):
    # given: a table too small for the planner to prefer the index on its own
    ProductFactory(name="Batik Silk Scarf")

    # when
    # (over all products: on a table this small the planner would rather
    # narrow by the published flag's index first)
    with translation.override(language):
        plan = _plan(selectors.product_search(query="batik scarf", base=Product.objects.all()))

    # then: the match is an index condition, and there is no similarity scan
    assert f"Bitmap Index Scan on shop_product_search_{index}_gin" in plan
    assert "similarity" not in plan


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("batk scarf", "Batik Silk Scarf"),
        ("batik scraf", "Batik Silk Scarf"),
        ("sambel", "Sambal Roa"),
        ("candel", "Pandan Candle"),
    ],
)
def test_postgres_typos_still_find_the_product(postgres_required, query, found):
    for name in ("Batik Silk Scarf", "Sambal Roa", "Pandan Candle", "Rattan Basket"):
        ProductFactory(name=name)

    names = [p.name for p in selectors.product_search(query=query, base=Product.objects.visible())]

    assert found in names
    assert "Rattan Basket" not in names


def test_exact_matches_do_not_pull_in_lookalikes(postgres_required):
    scarf = ProductFactory(name="Batik Silk Scarf")
    ProductFactory(name="Batok Shell Scarf")

    results = list(selectors.product_search(query="batik scarf", base=Product.objects.visible()))

    assert results == [scarf]


def test_unlaunched_products_are_not_found(postgres_required):
    ProductFactory(name="Batik Silk Scarf", available_from=timezone.now() + timedelta(days=1))

    assert not selectors.product_search(query="batk", base=Product.objects.visible()).exists()
