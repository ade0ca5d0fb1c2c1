"""Ratings through the PRODUCT_RATING_ANNOTATIONS hook: a reviews app (not
shop) provides the SQL; here the probe test app stands in for it."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from core import hooks
from core.testing.probe.models import ProbeRating
from core.testing.probe.ratings import rating_annotations
from shop import selectors
from shop.forms import ListingForm
from shop.models import Product
from shop.tests.factories import ProductFactory, category_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_installed_provider(monkeypatch):
    """These tests are about shop with and without a provider: the reviews
    app's own provider (registered at start-up) is set aside for them."""
    monkeypatch.setitem(hooks._registry, hooks.PRODUCT_RATING_ANNOTATIONS, [])


@pytest.fixture
def ratings():
    with hooks.registered(hooks.PRODUCT_RATING_ANNOTATIONS, rating_annotations):
        yield


def _rate(product: Product, *stars: int) -> None:
    ProbeRating.objects.bulk_create(ProbeRating(product_id=product.pk, stars=s) for s in stars)


def _sales(product: Product, count: int) -> None:
    Product.objects.filter(pk=product.pk).update(sales_count=count)


def _jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


@pytest.fixture
def rated():
    """great 4.5 (2), good 4.0 (3), fair 3.0 (1), unrated; in one category."""
    category = category_create("Batik")
    great, good, fair, unrated = (
        ProductFactory(name=name, category=category) for name in ("Great", "Good", "Fair", "New")
    )
    _rate(great, 5, 4)
    _rate(good, 4, 4, 4)
    _rate(fair, 3)
    return {"great": great, "good": good, "fair": fair, "unrated": unrated}


# ------------------------------------------------------------- no provider
def test_without_a_provider_there_is_no_rating_sort_filter_or_annotation(rated):
    form = ListingForm(QueryDict("min_rating=4&sort=top_rated"))
    filters = form.filters()

    assert not selectors.ratings_enabled()
    assert selectors.RATING_SORT not in dict(selectors.sort_choices())
    assert not selectors.sort_is_known(selectors.RATING_SORT)
    assert "min_rating" not in form.fields
    assert filters.min_rating is None
    assert filters.sort == selectors.DEFAULT_SORT
    assert selectors.min_rating_choices() == []
    cards = list(selectors.product_cards(Product.objects.visible()))
    assert not hasattr(cards[0], "rating_avg")


def test_without_a_provider_a_rating_filter_or_sort_changes_nothing(rated):
    queryset = Product.objects.visible()

    filtered = selectors.product_filter(
        queryset=queryset, filters=selectors.ProductFilters(min_rating=4)
    )
    top_rated = selectors.product_sort(queryset=queryset, sort=selectors.RATING_SORT)

    assert set(filtered) == set(rated.values())
    assert list(top_rated) == list(selectors.product_sort(queryset=queryset, sort="popular"))


def test_without_a_provider_pages_show_no_rating(client, rated):
    listing = client.get("/shop/c/batik/").content.decode()
    product_page = client.get(rated["great"].get_absolute_url()).content.decode()

    assert 'name="min_rating"' not in listing
    assert "top_rated" not in listing
    assert "product-card-rating" not in listing
    assert "aggregateRating" not in _jsonld(product_page)


# ---------------------------------------------------------- with a provider
def test_min_rating_keeps_products_rated_at_least_that(ratings, rated):
    queryset = Product.objects.visible()

    four_up = selectors.product_filter(
        queryset=queryset, filters=selectors.ProductFilters(min_rating=4)
    )
    three_up = selectors.product_filter(
        queryset=queryset, filters=selectors.ProductFilters(min_rating=3)
    )

    assert set(four_up) == {rated["great"], rated["good"]}
    assert set(three_up) == {rated["great"], rated["good"], rated["fair"]}


def test_top_rated_sorts_by_average_then_count_then_popularity_unrated_last(ratings, rated):
    # given: a second 4.0 product with fewer ratings, a third with as many
    # ratings but fewer sales
    category = category_create("Batik")
    fewer_ratings = ProductFactory(name="Few", category=category)
    _rate(fewer_ratings, 4)
    less_sold = ProductFactory(name="Less sold", category=category)
    _rate(less_sold, 4, 4, 4)
    _sales(rated["good"], 10)
    _sales(rated["unrated"], 1000)

    # when
    ordered = list(
        selectors.product_sort(queryset=Product.objects.visible(), sort=selectors.RATING_SORT)
    )

    # then
    assert ordered == [
        rated["great"],
        rated["good"],
        less_sold,
        fewer_ratings,
        rated["fair"],
        rated["unrated"],
    ]


def test_listing_form_offers_the_rating_filter_and_sort(ratings):
    form = ListingForm(QueryDict("min_rating=4&sort=top_rated"))
    filters = form.filters()

    assert ("top_rated", "Top rated") in [(k, str(v)) for k, v in selectors.sort_choices()]
    assert selectors.sort_is_known("top_rated")
    assert filters.min_rating == 4
    assert filters.sort == "top_rated"
    assert filters.active
    assert [str(label) for _, label in form.fields["min_rating"].choices][:2] == [
        "Any rating",
        "4 stars & up",
    ]


@pytest.mark.parametrize("value", ["5x", "9", "-1", ""])
def test_an_unknown_min_rating_is_ignored(ratings, value):
    filters = ListingForm(QueryDict(f"min_rating={value}")).filters()

    assert filters.min_rating is None
    assert not filters.active


def test_category_page_filters_and_sorts_by_rating_with_cards_showing_it(client, ratings, rated):
    # when
    response = client.get("/shop/c/batik/?min_rating=4&sort=top_rated")
    html = response.content.decode()

    # then
    assert response.status_code == 200
    assert 'name="min_rating" value="4" checked' in html
    assert '<option value="top_rated" selected>' in html
    assert [p.name for p in response.context["page"].object_list] == ["Great", "Good"]
    assert "★ 4.5" in html
    assert "(2)" in html
    assert "Rated 4.5 out of 5 from 2 reviews" in html
    assert 'name="robots" content="noindex' in html  # a filtered page


def test_unrated_cards_show_no_rating(client, ratings, rated):
    html = client.get("/shop/c/batik/?sort=newest").content.decode()

    assert html.count('class="product-card-rating"') == 3  # the rated ones only


def test_jsonld_has_the_aggregate_rating_of_a_rated_product(client, ratings, rated):
    data = _jsonld(client.get(rated["great"].get_absolute_url()).content.decode())

    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.5,
        "reviewCount": 2,
    }


def test_product_page_shows_its_rating_only_when_rated(client, ratings, rated):
    rated_html = client.get(rated["great"].get_absolute_url()).content.decode()
    unrated_html = client.get(rated["unrated"].get_absolute_url()).content.decode()

    assert '<p class="product-rating">' in rated_html
    assert "Rated 4.5 out of 5 from 2 reviews" in rated_html
    assert "product-rating" not in unrated_html


def test_jsonld_has_no_aggregate_rating_without_reviews(client, ratings, rated):
    data = _jsonld(client.get(rated["unrated"].get_absolute_url()).content.decode())

    assert "aggregateRating" not in data


def test_ratings_are_read_in_the_same_queries(client, rated):
    # given: the pages' query counts without a provider
    urls = [
        "/shop/c/batik/",
        "/shop/c/batik/?sort=top_rated&min_rating=3",
        rated["great"].get_absolute_url(),
        "/",
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            client.get(url)  # warm per-process caches (content types, sessions)
            cache.clear()  # but count the facets and totals, not their cached copies
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            result.append(len(captured.captured_queries))
        return result

    without = counts()

    # when
    with hooks.registered(hooks.PRODUCT_RATING_ANNOTATIONS, rating_annotations):
        with_ratings = counts()

    # then
    assert with_ratings == without
