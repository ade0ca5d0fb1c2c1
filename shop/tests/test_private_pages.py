"""Private answers carry Cache-Control: no-store; public pages for anonymous
visitors do not; the recently-viewed cookie is Secure where sessions are."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from shop.services.cart import cart_add, cart_for_user
from shop.services.orders_claim import order_access_path
from shop.tests.factories import ProductFactory, UserFactory, order_place

pytestmark = pytest.mark.django_db


def _variant():
    return ProductFactory(variant__stock=10, variant__price=Decimal("50000")).variants.get()


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


MEMBER_PAGES = [
    ("accounts:profile", {}),
    ("accounts:export", {}),
    ("shop:order_list", {}),
    ("shop:address_list", {}),
    ("shop:address_create", {}),
    ("shop:wishlist", {}),
    ("shop:cart", {}),
    ("shop:checkout", {}),
    ("account_change_password", {}),
    ("account_email", {}),
    ("mfa_index", {}),
    ("home", {}),  # a public page, rendered with the member's name and points
]


@pytest.mark.parametrize(("name", "kwargs"), MEMBER_PAGES)
def test_pages_for_a_signed_in_member_are_not_stored(client, name, kwargs):
    # given
    user = UserFactory()
    client.force_login(user)
    cart_add(cart=cart_for_user(user=user), variant_id=_variant().pk, quantity=1, user=user)

    # when
    response = client.get(reverse(name, kwargs=kwargs))

    # then
    assert response.status_code in {200, 302}, response.status_code
    assert _no_store(response), (name, response.get("Cache-Control"))


def test_a_members_order_page_is_not_stored(client):
    # given
    user = UserFactory()
    order = order_place(_variant(), "bank_transfer", user=user, quantity=1)
    client.force_login(user)

    # when
    response = client.get(reverse("shop:order_detail", kwargs={"number": order.number}))

    # then
    assert response.status_code == 200
    assert _no_store(response)


@pytest.mark.parametrize(
    "name", ["api:me", "api:me-tokens", "api:shop-orders", "api:shop-cart", "api:shop-wishlist"]
)
def test_authenticated_api_answers_are_not_stored(name):
    # given
    user = UserFactory()
    _, key = account_services.api_token_create(user=user, name="Script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    # when
    response = client.get(reverse(name))

    # then
    assert response.status_code == 200
    assert _no_store(response), (name, response.get("Cache-Control"))


def test_a_guests_cart_checkout_and_order_link_are_not_stored():
    # given: a guest with a cart in their session, and a guest order's link
    client = Client()
    variant = _variant()
    client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})
    order = order_place(variant, "bank_transfer", quantity=1)

    # when
    responses = {
        "cart": client.get(reverse("shop:cart")),
        "checkout": client.get(reverse("shop:checkout")),
        "order link": Client().get(order_access_path(order=order)),
        "login": Client().get(reverse("account_login")),
    }

    # then
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 200)
    assert [k for k, r in responses.items() if not _no_store(r)] == []


def test_public_pages_for_an_anonymous_visitor_stay_cacheable():
    # given
    product = _variant().product

    # when
    responses = [
        Client().get(reverse("home")),
        Client().get(reverse("shop:product", kwargs={"slug": product.slug})),
        APIClient().get(reverse("api:shop-products")),
    ]

    # then
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert not any(_no_store(r) for r in responses)


def test_the_recently_viewed_cookie_is_secure_where_the_session_cookie_is(settings):
    # given
    product = _variant().product
    url = reverse("shop:product", kwargs={"slug": product.slug})

    # when
    settings.SESSION_COOKIE_SECURE = False
    plain = Client().get(url)
    over_https = Client().get(url, secure=True)
    settings.SESSION_COOKIE_SECURE = True
    production = Client().get(url)

    # then
    assert plain.cookies["shop_recent"]["secure"] == ""
    assert over_https.cookies["shop_recent"]["secure"] is True
    assert production.cookies["shop_recent"]["secure"] is True
    assert production.cookies["shop_recent"]["httponly"] is True


def test_the_language_cookie_is_secure_and_http_only_in_production():
    # given: the production settings, in their own process
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().post('/i18n/setlang/', {'language': 'id', 'next': '/'}, "
        "secure=True, HTTP_HOST='shop.example.com'); "
        "c = r.cookies['django_language']; "
        "print(r.status_code, bool(c['secure']), bool(c['httponly']), c['samesite'])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        "LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }

    # when
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout

    # then
    assert out.split()[-4:] == ["302", "True", "True", "Lax"]
