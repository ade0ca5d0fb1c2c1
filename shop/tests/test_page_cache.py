"""The storefront's page cache (core/pagecache.py) as a shopper meets it:
cookieless visitors share stored pages, everything per visitor stays theirs,
and a catalogue write shows on the next view."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from shop.models import Category
from shop.services.catalog import products_set_published, variant_set_stock
from shop.tests.factories import (
    BrandFactory,
    ProductFactory,
    UserFactory,
    category_create,
    order_place,
)
from shop.views.catalog import RECENTLY_VIEWED_COOKIE

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE_RE = re.compile(r'<script src="[^"]+kampung[^"]*\.js" nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    yield
    translation.deactivate()


def _visit(url: str, **cookies):
    """A new visitor: a client of its own, with only the given cookies."""
    client = Client(enforce_csrf_checks=True)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client, client.get(url)


def test_second_cookieless_visitor_gets_the_stored_product_page_without_a_query(
    django_assert_num_queries,
):
    # given
    product = ProductFactory(name="Batik Tulis Shirt")
    _, first = _visit(product.get_absolute_url())

    # when
    client = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        second = client.get(product.get_absolute_url())

    # then
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.status_code == 200
    assert "Batik Tulis Shirt" in second.content.decode()


def test_each_visitor_of_a_stored_page_gets_their_own_working_csrf_token():
    # given: the page is stored by a first visitor
    product = ProductFactory()
    variant = product.variants.get()
    _, first = _visit(product.get_absolute_url())

    # when: a second visitor is served the stored page and adds to cart
    client, second = _visit(product.get_absolute_url())
    token = TOKEN_RE.search(second.content.decode()).group(1)
    added = client.post(
        "/shop/cart/add/", {"variant_id": variant.pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )

    # then: a token of their own, which the CSRF check accepts
    assert second["X-Page-Cache"] == "hit"
    assert token != TOKEN_RE.search(first.content.decode()).group(1)
    assert "kampunghole" not in second.content.decode()
    assert "csrftoken" in second.cookies
    assert added.status_code == 302
    cart_page = client.get("/shop/cart/")
    assert [row["variant"] for row in cart_page.context["rows"]] == [variant]


def test_csp_nonce_of_a_stored_page_matches_its_own_header():
    product = ProductFactory()
    _visit(product.get_absolute_url())

    _, response = _visit(product.get_absolute_url())

    nonce = NONCE_RE.search(response.content.decode()).group(1)
    assert response["X-Page-Cache"] == "hit"
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_recently_viewed_is_filled_per_visitor_on_a_stored_page():
    # given: the page is stored; one visitor has looked at another product
    seen = ProductFactory(name="Seen Before Sarong")
    product = ProductFactory()
    _visit(product.get_absolute_url())
    client, _ = _visit(seen.get_absolute_url())

    # when
    with_history = client.get(product.get_absolute_url())
    _, without = _visit(product.get_absolute_url())

    # then
    assert with_history["X-Page-Cache"] == without["X-Page-Cache"] == "hit"
    assert "Seen Before Sarong" in with_history.content.decode()
    assert "Recently viewed" not in without.content.decode()
    pushed = with_history.cookies[RECENTLY_VIEWED_COOKIE].value
    assert pushed.split(":")[0] == f"{product.pk},{seen.pk}"


def test_a_signed_in_shopper_never_gets_a_stored_page():
    # given
    product = ProductFactory()
    _visit(product.get_absolute_url())
    user = UserFactory(display_name="Dewi Lestari")
    client = Client()
    client.force_login(user)

    # when
    response = client.get(product.get_absolute_url())

    # then
    assert "X-Page-Cache" not in response
    assert "Dewi Lestari" in response.content.decode()


def test_a_stock_change_shows_on_the_next_view(django_capture_on_commit_callbacks):
    # given
    product = ProductFactory()
    variant = product.variants.get()
    _visit(product.get_absolute_url())

    # when: staff sets the stock to zero (the generation moves on commit)
    with django_capture_on_commit_callbacks(execute=True):
        variant_set_stock(variant_id=variant.pk, stock=0)
    _, response = _visit(product.get_absolute_url())

    # then
    assert response["X-Page-Cache"] == "miss"
    assert "Sold out" in response.content.decode()


def test_unpublishing_removes_the_product_from_stored_listings(
    django_capture_on_commit_callbacks,
):
    # given
    category = category_create("Batik")
    product = ProductFactory(category=category, name="Kebaya Encim")
    _, before = _visit("/shop/c/batik/")
    assert "Kebaya Encim" in before.content.decode()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        products_set_published(product_ids=[product.pk], published=False)
    _, after = _visit("/shop/c/batik/")
    _, page = _visit(product.get_absolute_url())

    # then
    assert after["X-Page-Cache"] == "miss"
    assert "Kebaya Encim" not in after.content.decode()
    assert page.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/shop/c/batik/?in_stock=1",  # a filtered listing
        "/shop/c/batik/?utm_source=chat",  # a parameter the page does not vary on
        "/shop/c/batik/?sort=price_asc&sort=newest",  # repeated
        "/shop/c/batik/?page=123456",  # not a plausible page number
        "/shop/search/?q=batik",  # search terms are unbounded
    ],
)
def test_pages_with_unbounded_urls_are_rendered_but_not_stored(url):
    category_create("Batik")

    _visit(url)
    _, response = _visit(url)

    assert response.status_code == 200
    assert "X-Page-Cache" not in response


def test_sorted_and_paged_listings_are_stored_per_url():
    category_create("Batik")
    _visit("/shop/c/batik/?sort=price_asc")

    _, same = _visit("/shop/c/batik/?sort=price_asc")
    _, other = _visit("/shop/c/batik/?sort=newest")

    assert same["X-Page-Cache"] == "hit"
    assert other["X-Page-Cache"] == "miss"


def test_languages_are_stored_apart():
    product = ProductFactory()
    _visit(product.get_absolute_url())

    _, indonesian = _visit(f"/id{product.get_absolute_url()}")

    assert indonesian["X-Page-Cache"] == "miss"
    assert 'lang="id"' in indonesian.content.decode()
    assert "Tambah ke keranjang" in indonesian.content.decode()


def test_a_missing_product_is_not_stored():
    _visit("/shop/p/no-such-thing/")

    _, response = _visit("/shop/p/no-such-thing/")

    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def test_an_anonymous_shopper_with_a_cart_gets_the_stored_page_with_their_own_count():
    # given: the home page is stored; a shopper has a session cart
    product = ProductFactory()
    _visit("/")
    client = Client()
    client.get(product.get_absolute_url())
    client.post("/shop/cart/add/", {"variant_id": product.variants.get().pk, "quantity": 2})
    client.get("/shop/cart/")  # shows (and so clears) the "added" message

    # when
    response = client.get("/")
    _, cookieless = _visit("/")

    # then
    assert response["X-Page-Cache"] == "hit"
    assert '<span id="cart-count" class="badge">2</span>' in response.content.decode()
    assert 'id="cart-count"' not in cookieless.content.decode()


def test_a_pending_message_is_shown_on_a_fresh_render_not_a_stored_page():
    # given: the product page is stored; adding to the cart leaves a message
    # that the shopper has not seen yet (the redirect was not followed)
    product = ProductFactory()
    _visit(product.get_absolute_url())
    client = Client()
    client.post("/shop/cart/add/", {"variant_id": product.variants.get().pk, "quantity": 1})

    # when
    response = client.get(product.get_absolute_url())

    # then
    assert "X-Page-Cache" not in response
    assert 'class="message' in response.content.decode()


@pytest.fixture
def staff_client(client, monkeypatch):
    """A superuser; the admin's TOTP check is covered in accounts' tests."""
    from accounts.admin_site import KampungAdminSite

    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


def _stored(url: str) -> None:
    _, response = _visit(url)
    assert response["X-Page-Cache"] in {"miss", "hit"}


def test_an_order_orphans_only_the_ordered_products_page(django_capture_on_commit_callbacks):
    # given: home, a listing and two product pages are stored
    category = category_create("Batik")
    ordered = ProductFactory(category=category, name="Ordered Sarong", variant__stock=10)
    other = ProductFactory(category=category, name="Other Sarong")
    urls = ["/", "/shop/c/batik/", ordered.get_absolute_url(), other.get_absolute_url()]
    for url in urls:
        _stored(url)

    # when: an order holds 2 of 10 units (the product stays in stock)
    with django_capture_on_commit_callbacks(execute=True):
        order_place(ordered.variants.get(), gateway="bank_transfer")
    home, listing, ordered_page, other_page = (_visit(url)[1] for url in urls)

    # then
    assert ordered_page["X-Page-Cache"] == "miss"
    assert ordered_page["X-Page-Cache-Stale"] == f"catalog:product:{ordered.slug}"
    assert [home["X-Page-Cache"], listing["X-Page-Cache"], other_page["X-Page-Cache"]] == [
        "hit",
        "hit",
        "hit",
    ]


def test_selling_the_last_unit_orphans_the_listings_that_flag_it_sold_out(
    django_capture_on_commit_callbacks,
):
    # given
    category = category_create("Batik")
    product = ProductFactory(category=category, name="Last Kebaya", variant__stock=2)
    _stored("/shop/c/batik/")

    # when: the order holds both units: sold out
    with django_capture_on_commit_callbacks(execute=True):
        order_place(product.variants.get(), gateway="bank_transfer", quantity=2)
    _, listing = _visit("/shop/c/batik/")

    # then
    assert listing["X-Page-Cache"] == "miss"
    assert listing["X-Page-Cache-Stale"] == "catalog"
    assert "Sold out" in listing.content.decode()


def test_renaming_a_brand_in_the_admin_orphans_the_pages_that_show_it(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    brand = BrandFactory(name="Old Brand Name")
    product = ProductFactory(brand=brand)
    _stored(product.get_absolute_url())
    _stored("/")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/shop/brand/{brand.pk}/change/",
            {"name": "New Brand Name", "slug": brand.slug},
            follow=True,
        )
    _, page = _visit(product.get_absolute_url())
    _, home = _visit("/")

    # then
    assert response.status_code == 200
    assert "Storefront pages that show it are rendered afresh" in response.content.decode()
    assert page["X-Page-Cache"] == home["X-Page-Cache"] == "miss"
    assert "New Brand Name" in page.content.decode()


def test_renaming_a_category_in_the_admin_orphans_its_listing_and_product_pages(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    category = category_create("Batik")
    product = ProductFactory(category=category)
    _stored("/shop/c/batik/")
    _stored(product.get_absolute_url())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/admin/shop/category/{category.pk}/change/",
            {
                "name_en": "Batik Tulis",
                "slug": "batik",
                "position": category.position,
                "is_active": "on",
                "description": "",
                "treebeard_position": "sorted-child",
                "treebeard_ref_node": "",
            },
        )
    _, listing = _visit("/shop/c/batik/")
    _, page = _visit(product.get_absolute_url())

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert listing["X-Page-Cache"] == page["X-Page-Cache"] == "miss"
    assert "Batik Tulis" in listing.content.decode()
    assert "Batik Tulis" in page.content.decode()


def test_deleting_a_product_in_the_admin_removes_it_from_stored_pages(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    category_create("Batik")
    product = ProductFactory(category=Category.objects.get(slug="batik"), name="Gone Sarong")
    url = product.get_absolute_url()
    _stored(url)
    _stored("/shop/c/batik/")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/shop/product/{product.pk}/delete/", {"post": "yes"})
    _, page = _visit(url)
    _, listing = _visit("/shop/c/batik/")

    # then
    assert response.status_code == 302
    assert page.status_code == 404
    assert "Gone Sarong" not in listing.content.decode()
