"""The product page's ways into the wishlist and back-in-stock alerts: the
"Save to wishlist" toggle and the "Email me when it's back" form, for
signed-in shoppers and for anonymous visitors of the stored page."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from shop.models import StockAlert, WishlistItem
from shop.tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

WISHLIST_TOGGLE = re.compile(r'<div class="wishlist-toggle".*?\n</div>', re.S)
STOCK_ALERT = re.compile(r"<section class=\"stock-alert.*?</section>", re.S)
# What a stored page fills per visitor: the CSRF token and the CSP nonce.
PER_REQUEST = re.compile(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]+"')


def _html(response) -> str:
    return response.content.decode()


def _toggle(html: str) -> str:
    match = WISHLIST_TOGGLE.search(html)
    assert match, "the page has no wishlist toggle"
    return match.group(0)


def _alert(html: str) -> str | None:
    match = STOCK_ALERT.search(html)
    return match.group(0) if match else None


def _product_with_a_sold_out_option():
    product = ProductFactory(name="Batik Kawung Shirt", variant__stock=4)
    sold_out = VariantFactory(product=product, options={"Size": "XL"}, stock=0)
    return product, product.variants.exclude(pk=sold_out.pk).get(), sold_out


# ---------------------------------------------------------------- wishlist
def test_signed_in_shopper_without_the_product_sees_save_to_wishlist(client):
    # given
    product = ProductFactory()
    client.force_login(UserFactory())

    # when
    toggle = _toggle(_html(client.get(product.get_absolute_url())))

    # then
    assert "Save to wishlist" in toggle
    assert f'action="{reverse("shop:wishlist_add")}"' in toggle
    assert f'name="product_id" value="{product.pk}"' in toggle
    assert "is-saved" not in toggle


def test_signed_in_shopper_with_the_product_sees_saved(client):
    # given
    product = ProductFactory()
    user = UserFactory()
    WishlistItem.objects.create(user=user, product=product)
    client.force_login(user)

    # when
    toggle = _toggle(_html(client.get(product.get_absolute_url())))

    # then
    assert "Saved" in toggle
    assert "Save to wishlist" not in toggle
    assert f'action="{reverse("shop:wishlist_remove", args=[product.pk])}"' in toggle


def test_saving_without_javascript_posts_and_comes_back_to_the_product(client):
    # given
    product = ProductFactory()
    user = UserFactory()
    client.force_login(user)

    # when
    response = client.post(
        reverse("shop:wishlist_add"),
        {"product_id": product.pk, "next": product.get_absolute_url()},
    )
    page = client.get(response["Location"])

    # then
    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()
    assert WishlistItem.objects.filter(user=user, product=product).exists()
    assert "Saved to your wishlist." in _html(page)
    assert "Saved" in _toggle(_html(page))


def test_unsaving_without_javascript_posts_and_comes_back_to_the_product(client):
    # given
    product = ProductFactory()
    user = UserFactory()
    WishlistItem.objects.create(user=user, product=product)
    client.force_login(user)

    # when
    response = client.post(
        reverse("shop:wishlist_remove", args=[product.pk]),
        {"next": product.get_absolute_url()},
    )

    # then
    assert response["Location"] == product.get_absolute_url()
    assert not WishlistItem.objects.exists()
    assert "Save to wishlist" in _toggle(_html(client.get(product.get_absolute_url())))


def test_htmx_toggle_answers_the_button_in_its_new_state(client):
    # given
    product = ProductFactory()
    user = UserFactory()
    client.force_login(user)

    # when
    saved = client.post(
        reverse("shop:wishlist_add"), {"product_id": product.pk}, headers={"HX-Request": "true"}
    )
    unsaved = client.post(
        reverse("shop:wishlist_remove", args=[product.pk]), headers={"HX-Request": "true"}
    )

    # then
    assert saved.status_code == unsaved.status_code == 200
    assert "Saved" in _toggle(_html(saved))
    assert "Save to wishlist" in _toggle(_html(unsaved))
    assert not WishlistItem.objects.exists()
    # no flash message waits for the next page
    assert "Saved to your wishlist." not in _html(client.get(product.get_absolute_url()))


def test_anonymous_visitor_gets_a_login_link_back_to_the_product(client):
    # given
    product = ProductFactory()

    # when
    toggle = _toggle(_html(client.get(product.get_absolute_url())))

    # then
    assert f'href="{reverse("account_login")}?next={product.get_absolute_url()}"' in toggle
    assert "<form" not in toggle


def test_anonymous_post_goes_to_login_and_back_to_the_product_without_saving(client):
    # given
    product = ProductFactory()

    # when
    add = client.post(
        reverse("shop:wishlist_add"),
        {"product_id": product.pk, "next": product.get_absolute_url()},
    )
    by_htmx = client.post(
        reverse("shop:wishlist_add"),
        {"product_id": product.pk, "next": product.get_absolute_url()},
        headers={"HX-Request": "true"},
    )

    # then
    login = f"{reverse('account_login')}?next={product.get_absolute_url()}"
    assert add.status_code == 302
    assert add["Location"] == login
    assert by_htmx["HX-Redirect"] == login
    assert not WishlistItem.objects.exists()


def test_saving_a_hidden_product_is_refused_and_writes_nothing(client):
    # given
    product = ProductFactory(is_published=False)
    client.force_login(UserFactory())

    # when
    response = client.post(
        reverse("shop:wishlist_add"), {"product_id": product.pk}, headers={"HX-Request": "true"}
    )

    # then
    assert response.status_code == 404
    assert not WishlistItem.objects.exists()


# ------------------------------------------------------- back-in-stock alert
def test_product_without_sold_out_options_has_no_alert_form(client):
    product = ProductFactory(variant__stock=3)

    assert _alert(_html(client.get(product.get_absolute_url()))) is None


def test_sold_out_options_are_selectable_and_the_alert_form_waits_for_them(client):
    # given
    product, in_stock, sold_out = _product_with_a_sold_out_option()

    # when
    html = _html(client.get(product.get_absolute_url()))

    # then: the sold-out option can be picked (and is labelled so) ...
    option = re.search(rf'<option value="{sold_out.pk}"[^>]*>[^<]*</option>', html).group(0)
    assert "disabled" not in option
    assert "Sold out" in option
    # ... the in-stock option is picked, so the alert form is dormant ...
    assert re.search(rf'<option value="{in_stock.pk}" selected>', html)
    alert = _alert(html)
    assert alert is not None
    assert 'class="stock-alert is-dormant"' in alert
    # ... and it asks about the sold-out option.
    assert f'name="variant_id" value="{sold_out.pk}"' in alert
    assert not re.search(r"data-add-to-cart[^>]*disabled", html)


def test_sold_out_product_shows_the_alert_form_with_an_email_field_for_a_guest(client):
    # given
    product = ProductFactory(variant__stock=0)
    variant = product.variants.get()

    # when
    alert = _alert(_html(client.get(product.get_absolute_url())))

    # then
    assert alert is not None
    assert "is-dormant" not in alert
    assert f'action="{reverse("shop:stock_alert_create")}"' in alert
    assert f'name="variant_id" value="{variant.pk}"' in alert
    assert 'type="email"' in alert


def test_signed_in_shopper_subscribes_with_one_click(client):
    # given
    product = ProductFactory(variant__stock=0)
    variant = product.variants.get()
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    alert = _alert(_html(client.get(product.get_absolute_url())))
    assert 'type="email"' not in alert
    assert user.email in alert

    # when: the form as rendered, submitted
    response = client.post(
        reverse("shop:stock_alert_create"),
        {"variant_id": variant.pk, "next": product.get_absolute_url()},
        follow=True,
    )

    # then
    stored = StockAlert.objects.get()
    assert (stored.variant, stored.email, stored.user) == (variant, user.email, user)
    assert response.redirect_chain[-1][0] == product.get_absolute_url()
    html = _html(response)
    assert "We will email you when it is back in stock." in html
    assert re.search(r"data-stock-alert-submit[^>]*hidden", _alert(html))
    assert not re.search(r"data-stock-alert-done[^>]*hidden", _alert(html))


def test_guest_subscribes_with_an_email_address(client):
    # given
    product, _in_stock, sold_out = _product_with_a_sold_out_option()

    # when
    response = client.post(
        reverse("shop:stock_alert_create"),
        {"variant_id": sold_out.pk, "email": "Fan@Example.com", "next": product.get_absolute_url()},
    )

    # then
    assert response["Location"] == product.get_absolute_url()
    stored = StockAlert.objects.get()
    assert (stored.variant, stored.email, stored.user) == (sold_out, "fan@example.com", None)


def test_alert_for_the_in_stock_option_or_without_email_is_refused_and_writes_nothing(client):
    # given
    _product, in_stock, sold_out = _product_with_a_sold_out_option()

    # when
    available = client.post(
        reverse("shop:stock_alert_create"),
        {"variant_id": in_stock.pk, "email": "fan@example.com"},
    )
    no_email = client.post(reverse("shop:stock_alert_create"), {"variant_id": sold_out.pk})

    # then
    assert available.status_code == 409
    assert no_email.status_code == 400
    assert not StockAlert.objects.exists()


def test_adding_a_sold_out_option_to_the_cart_is_still_refused(client):
    # given
    _product, _in_stock, sold_out = _product_with_a_sold_out_option()

    # when
    response = client.post(
        reverse("shop:cart_add"),
        {"variant_id": sold_out.pk, "quantity": 1},
        headers={"HX-Request": "true"},
    )

    # then
    assert 400 <= response.status_code < 500
    assert "Added" not in _html(response)
    client_cart = client.get(reverse("shop:cart"))
    assert "Batik Kawung Shirt" not in _html(client_cart)


# --------------------------------------------------------------- page cache
def test_stored_page_is_the_same_for_every_anonymous_visitor(settings):
    # given: the page cache on, a product with a sold-out option
    settings.PAGE_CACHE_SECONDS = 300
    product, _in_stock, _sold_out = _product_with_a_sold_out_option()
    user = UserFactory(email="dewi@example.com")
    WishlistItem.objects.create(user=user, product=product)
    signed_in = Client()
    signed_in.force_login(user)

    # when: a signed-in shopper renders it between two anonymous visitors
    first = Client().get(product.get_absolute_url())
    mine = signed_in.get(product.get_absolute_url())
    second = Client().get(product.get_absolute_url())

    # then: the shopper's own state is only in their page ...
    assert "Saved" in _toggle(_html(mine))
    assert "dewi@example.com" in _html(mine)
    # ... and the anonymous pages are identical but for the filled holes.
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert PER_REQUEST.sub("", _html(first)) == PER_REQUEST.sub("", _html(second))
    anonymous = _html(second)
    assert "dewi@example.com" not in anonymous
    assert "is-saved" not in anonymous
    assert "stock-alert-subscribed" not in anonymous


def test_signed_in_state_costs_one_query_each(client, django_assert_max_num_queries):
    # given
    product, _in_stock, _sold_out = _product_with_a_sold_out_option()
    client.force_login(UserFactory())
    client.get(product.get_absolute_url())  # warm the per-product caches

    # when / then: the wishlist and alert state cost a query each
    with django_assert_max_num_queries(30) as captured:
        client.get(product.get_absolute_url())
    queries = [q["sql"] for q in captured.captured_queries]
    assert sum("shop_wishlistitem" in q for q in queries) == 1
    assert sum("shop_stockalert" in q for q in queries) == 1


def test_ids_in_the_forms_are_plain_numbers_past_a_thousand(client):
    # given: USE_THOUSAND_SEPARATOR is on, and ids grow past 999
    product = ProductFactory(pk=876543, variant__stock=1500)
    sold_out = VariantFactory(pk=987654, product=product, options={"Size": "XL"}, stock=0)
    client.force_login(UserFactory())

    # when
    html = _html(client.get(product.get_absolute_url()))

    # then: what the forms post parses as an integer
    assert f'<option value="{sold_out.pk}"' in html
    assert f'name="variant_id" value="{sold_out.pk}"' in html
    assert f'name="product_id" value="{product.pk}"' in html
    assert 'max="1500"' in html
    assert "876,543" not in html
    assert "987,654" not in html
