from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core import hooks
from shop import viewcounts
from shop.models import Product, ProductImage
from shop.tests.factories import (
    BrandFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    category_create,
)
from shop.views.catalog import RECENTLY_VIEWED_COOKIE

pytestmark = pytest.mark.django_db

WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request to /id/ leaves Indonesian active in this thread; later tests'
    reverse() must not inherit it."""
    yield
    translation.deactivate()


def _catalog(count: int, *, category=None) -> list[Product]:
    """`count` listed products, each with a brand, a tag and two images."""
    category = category or category_create("Batik")
    products = []
    for _ in range(count):
        product = ProductFactory(category=category, brand=BrandFactory(), is_featured=True)
        product.tags.add("handmade")
        Product.objects.filter(pk=product.pk).update(sales_count=3)
        for position in (0, 1):
            ProductImage.objects.create(
                product=product,
                image=f"products/{product.pk}/{position}.webp",
                card=f"products/{product.pk}/card-{position}.webp",
                thumb=f"products/{product.pk}/thumb-{position}.webp",
                position=position,
            )
        products.append(product)
    return products


def _queries_for(client, url: str, assert_max) -> int:
    """Queries of a render with nothing cached (facets and counts included)."""
    cache.clear()
    with assert_max(14) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/shop/",
        "/shop/c/fashion/",
        "/shop/c/fashion/?sort=price_asc&in_stock=1&tag=handmade",
        # The search page: shop/tests/test_search.py (a thin match costs
        # the typo correction's queries, so 5 and 30 matches differ).
    ],
)
def test_list_pages_cost_the_same_queries_for_5_or_30_products(
    client, django_assert_max_num_queries, url
):
    # given: products in a subcategory, so the category page spans the tree
    fashion = category_create("Fashion")
    batik = category_create("Batik", parent=fashion)
    _catalog(5, category=batik)
    with_five = _queries_for(client, url, django_assert_max_num_queries)

    # when
    _catalog(25, category=batik)
    with_thirty = _queries_for(client, url, django_assert_max_num_queries)

    # then
    assert with_five == with_thirty


def test_category_page_paginates_24_per_page_and_keeps_filters(client):
    # given
    _catalog(30, category=category_create("Batik"))

    # when
    first = client.get("/shop/c/batik/?sort=newest&tag=handmade")
    second = client.get("/shop/c/batik/?sort=newest&tag=handmade&page=2")

    # then
    assert len(first.context["page"].object_list) == 24
    assert len(second.context["page"].object_list) == 6
    html = first.content.decode()
    assert "?sort=newest&amp;tag=handmade&amp;page=2" in html
    assert "30 products" in html


def test_category_page_filters_and_sorts(client):
    # given
    batik = category_create("Batik")
    weaver = BrandFactory(name="Tenun Ibu", slug="tenun-ibu")
    cheap = ProductFactory(category=batik, variant__price=Decimal("50000"), brand=weaver)
    dear = ProductFactory(category=batik, variant__price=Decimal("900000"))
    sold_out = ProductFactory(category=batik, variant__price=Decimal("70000"), variant__stock=0)

    def listed(query: str) -> list[Product]:
        return list(client.get(f"/shop/c/batik/?{query}").context["page"].object_list)

    # then
    assert listed("sort=price_asc") == [cheap, sold_out, dear]
    assert listed("sort=price_desc") == [dear, sold_out, cheap]
    assert listed("max_price=100000&sort=price_asc") == [cheap, sold_out]
    assert listed("brand=tenun-ibu") == [cheap]
    assert set(listed("in_stock=1")) == {cheap, dear}
    # invalid input is ignored, not an error
    assert set(listed("min_price=lots&sort=nonsense&page=x")) == {cheap, dear, sold_out}


def test_unknown_category_is_404(client):
    assert client.get("/shop/c/no-such-category/").status_code == 404


def test_unpublished_and_future_products_are_404_and_not_listed(client):
    # given
    batik = category_create("Batik")
    shown = ProductFactory(category=batik, name="Shown Shirt")
    draft = ProductFactory(category=batik, name="Draft Shirt", is_published=False)
    future = ProductFactory(
        category=batik, name="Future Shirt", available_from=timezone.now() + timedelta(days=2)
    )

    # then
    assert client.get(shown.get_absolute_url()).status_code == 200
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404
    for url in ("/", "/shop/", "/shop/c/batik/", "/shop/search/?q=shirt"):
        html = client.get(url).content.decode()
        assert "Draft Shirt" not in html
        assert "Future Shirt" not in html


def test_early_access_hook_opens_a_future_product_page(client):
    # given
    member = UserFactory()
    future = ProductFactory(available_from=timezone.now() + timedelta(days=2))
    client.force_login(member)

    # when
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, lambda user: {future.pk}):
        response = client.get(future.get_absolute_url())

    # then
    assert response.status_code == 200


def test_home_shows_sections_and_hides_for_you_without_a_hook(client):
    # given
    products = _catalog(3)

    # when
    html = client.get("/").content.decode()
    with hooks.registered(hooks.FOR_YOU_PRODUCTS, lambda user, limit: [products[1].pk]):
        with_hook = client.get("/").content.decode()

    # then
    assert "New arrivals" in html
    assert "Featured" in html
    assert "Best sellers" in html
    assert "Picked for you" not in html
    assert "Picked for you" in with_hook
    assert products[0].name in html


def test_product_page_has_gallery_variant_picker_and_add_to_cart_form(client):
    # given
    product = _catalog(1)[0]
    VariantFactory(product=product, options={"Size": "L"}, price=Decimal("120000"), stock=2)
    VariantFactory(product=product, options={"Size": "XL"}, price=Decimal("130000"), stock=0)

    # when
    response = client.get(product.get_absolute_url())

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="variant_id"' in html
    assert 'name="quantity"' in html
    assert "data-gallery-thumb" in html
    data = json.loads(re.search(r'id="variant-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert [v["status"] for v in data] == ["In stock", "Only 2 left", "Sold out"]
    assert data[1]["price"] == "Rp\xa0120,000"
    assert "shop/js/product.js" in html


def test_add_to_cart_form_posts_to_the_cart_url_when_it_exists(client):
    product = ProductFactory()
    html = client.get(product.get_absolute_url()).content.decode()

    try:
        expected = reverse("shop:cart_add")
    except Exception:  # noqa: BLE001 - the cart module may not be installed yet
        expected = "#"
    assert f'method="post" action="{expected}"' in html


def test_sold_out_product_says_so_and_disables_the_button(client):
    product = ProductFactory(variant__stock=0)

    html = client.get(product.get_absolute_url()).content.decode()

    assert "Sold out" in html
    assert re.search(r"data-add-to-cart[^>]*disabled", html)


def test_product_get_writes_nothing_to_the_database(client):
    # given
    product = ProductFactory()
    client.get(product.get_absolute_url())  # a returning visitor, with cookies

    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(product.get_absolute_url())

    # then
    assert response.status_code == 200
    writes = [q["sql"] for q in captured.captured_queries if WRITE_SQL.match(q["sql"])]
    assert writes == []
    product.refresh_from_db()
    assert product.view_count == 0


def test_flush_task_moves_cached_view_counts_into_the_products(client, monkeypatch):
    # given
    viewed, other = ProductFactory(), ProductFactory()
    for _ in range(3):
        client.get(viewed.get_absolute_url())
    client.get(other.get_absolute_url())

    # when: not yet settled, nothing moves
    assert viewcounts.flush_product_view_counts.delay().get() == 0
    later = time.time() + 3 * viewcounts.BUCKET_SECONDS
    monkeypatch.setattr(viewcounts.time, "time", lambda: later)
    applied = viewcounts.flush_product_view_counts.delay().get()

    # then
    viewed.refresh_from_db()
    other.refresh_from_db()
    assert applied == 4
    assert (viewed.view_count, other.view_count) == (3, 1)
    # a second run applies nothing twice
    assert viewcounts.flush_product_view_counts.delay().get() == 0
    viewed.refresh_from_db()
    assert viewed.view_count == 3


def test_view_counts_across_buckets_add_up():
    product = ProductFactory()
    start = time.time()
    viewcounts.product_view_record(product_id=product.pk, now=start)
    viewcounts.product_view_record(product_id=product.pk, now=start + 61)
    viewcounts.product_view_record(product_id=product.pk, now=start + 61)

    viewcounts.product_view_counts_flush(now=start + 300)

    product.refresh_from_db()
    assert product.view_count == 3


def test_view_count_flush_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "shop.viewcounts.flush_product_view_counts" in tasks


def test_recently_viewed_products_follow_the_shopper(client):
    # given
    first, second, third = ProductFactory(), ProductFactory(), ProductFactory()

    # when
    client.get(first.get_absolute_url())
    client.get(second.get_absolute_url())
    response = client.get(third.get_absolute_url())

    # then
    assert list(response.context["recently_viewed"]) == [second, first]
    assert RECENTLY_VIEWED_COOKIE in response.cookies


def test_tampered_recently_viewed_cookie_is_ignored(client):
    product = ProductFactory()
    client.cookies[RECENTLY_VIEWED_COOKIE] = "1,2,3"

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    assert "Recently viewed" not in response.content.decode()


def test_search_suggest_returns_a_fragment_of_product_links(client):
    # given
    product = ProductFactory(name="Batik Tulis Shirt")
    ProductFactory(name="Coffee Beans")

    # when
    response = client.get("/shop/search/suggest/?q=batik", HTTP_HX_REQUEST="true")
    empty = client.get("/shop/search/suggest/?q=b")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert product.get_absolute_url() in html
    assert "Coffee Beans" not in html
    assert empty.content.decode().strip() == ""


@pytest.mark.parametrize("url", ["/", "/shop/", "/shop/c/batik/", "/shop/search/?q=zzz", "/id/"])
def test_catalog_pages_have_no_inline_styles(client, url):
    _catalog(2)

    html = client.get(url).content.decode()

    assert 'style="' not in html
    assert "<style" not in html


def test_product_page_has_no_inline_styles_and_every_script_has_the_nonce(client):
    product = _catalog(1)[0]

    response = client.get(product.get_absolute_url())

    html = response.content.decode()
    nonce = response.headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert 'style="' not in html
    assert "<style" not in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    json_data = [tag for tag in scripts if 'type="application/json"' in tag]
    assert all(f'nonce="{nonce}"' in tag for tag in scripts if tag not in json_data)


def test_category_facets_and_count_are_read_from_the_cache_on_the_next_view(client):
    # given
    _catalog(3, category=category_create("Batik"))
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        client.get("/shop/c/batik/")

    # when
    with CaptureQueriesContext(connection) as second:
        html = client.get("/shop/c/batik/").content.decode()

    # then: brand/tag facets and the total come from the cache
    assert len(second.captured_queries) <= len(first.captured_queries) - 3
    assert "3 products" in html


def test_a_members_product_page_reuses_the_rendered_card_lists(client):
    # given: a product with others in its category, seen once by a visitor
    products = _catalog(4, category=category_create("Batik"))
    url = products[0].get_absolute_url()
    client.get(url)
    member = Client()
    member.force_login(UserFactory())
    member.get(url)  # warm the member's session

    # when
    with CaptureQueriesContext(connection) as shared:
        html = member.get(url).content.decode()
    cache.clear()
    with CaptureQueriesContext(connection) as fresh:
        member.get(url)

    # then: the related cards are there, without their queries
    assert "More in this category" in html
    assert products[1].name in html
    assert len(shared.captured_queries) <= len(fresh.captured_queries) - 2


def test_card_lists_are_not_shared_with_a_member_an_early_access_hook_may_open_products_to(
    client,
):
    # given: an upcoming product in the category, and a visitor who stored
    # the shared lists without it
    category = category_create("Batik")
    product = ProductFactory(category=category)
    upcoming = ProductFactory(
        category=category,
        name="Upcoming Songket",
        available_from=timezone.now() + timedelta(days=3),
    )
    assert "Upcoming Songket" not in client.get(product.get_absolute_url()).content.decode()
    member = Client()
    member.force_login(UserFactory())

    # when early access opens it to the member
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, lambda user: {upcoming.pk}):
        html = member.get(product.get_absolute_url()).content.decode()

    # then
    assert "Upcoming Songket" in html


def test_a_members_category_page_reuses_the_rendered_grid_but_a_filtered_one_does_not(client):
    # given: a plain listing seen once
    products = _catalog(3, category=category_create("Batik"))
    client.get("/shop/c/batik/")
    member = Client()
    member.force_login(UserFactory())
    member.get("/shop/c/batik/")

    # when
    with CaptureQueriesContext(connection) as plain:
        html = member.get("/shop/c/batik/").content.decode()
    with CaptureQueriesContext(connection) as filtered:
        filtered_html = member.get("/shop/c/batik/?in_stock=1").content.decode()

    # then: the cards are there; only the filtered page read them
    assert all(p.name in html for p in products)
    assert all(p.name in filtered_html for p in products)
    card_reads = [q for q in filtered.captured_queries if 'FROM "shop_productimage"' in q["sql"]]
    assert card_reads
    assert not [q for q in plain.captured_queries if 'FROM "shop_productimage"' in q["sql"]]
