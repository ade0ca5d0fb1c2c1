from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Cart, CartLine
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _variant(**kwargs):
    return ProductFactory(**{f"variant__{k}": v for k, v in kwargs.items()}).variants.get()


def _add(client, variant, quantity=1, **extra):
    return client.post(
        reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": quantity}, **extra
    )


def test_guest_adds_to_cart_and_gets_a_session_cart(client):
    # given
    variant = _variant(price=Decimal("25000"), stock=5)

    # when
    response = _add(client, variant, 2)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:cart")
    cart = Cart.objects.get()
    assert cart.user is None
    assert cart.session_key == client.session.session_key
    assert cart.lines.get().quantity == 2
    page = client.get(reverse("shop:cart"))
    assert page.status_code == 200
    assert variant.product.name in page.content.decode()
    assert "Rp" in page.content.decode()
    assert page.context["subtotal"] == Decimal("50000")


def test_adding_twice_adds_up_on_one_line(client):
    # given
    variant = _variant(stock=5)
    _add(client, variant, 1)

    # when
    _add(client, variant, 2)

    # then
    assert CartLine.objects.get().quantity == 3


def test_logged_in_cart_belongs_to_the_user(client):
    # given
    user = UserFactory()
    client.force_login(user)
    variant = _variant()

    # when
    _add(client, variant)

    # then
    assert Cart.objects.get().user == user


@pytest.mark.parametrize("quantity", ["-1", "0", "100", "1000000000000000000000", "abc", ""])
def test_bad_quantity_is_refused_and_adds_nothing(client, quantity):
    # given
    variant = _variant(stock=500)

    # when
    response = _add(client, variant, quantity)

    # then
    assert response.status_code == 400
    assert "Choose a quantity between 1 and 99." in response.content.decode()
    assert not CartLine.objects.exists()


def test_more_than_in_stock_is_refused(client):
    # given
    variant = _variant(stock=2)

    # when
    response = _add(client, variant, 3)

    # then
    assert response.status_code == 409
    assert "Only 2 left in stock." in response.content.decode()
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("variant_id", ["999999", "abc", "-4"])
def test_unknown_variant_is_refused(client, variant_id):
    # when
    response = client.post(reverse("shop:cart_add"), {"variant_id": variant_id, "quantity": 1})

    # then
    assert response.status_code in {400, 404}
    assert not CartLine.objects.exists()


def test_unpublished_product_cannot_be_added(client):
    # given
    variant = _variant()
    variant.product.is_published = False
    variant.product.save()

    # when
    response = _add(client, variant)

    # then
    assert response.status_code == 409
    assert "This item is not on sale at the moment." in response.content.decode()
    assert not CartLine.objects.exists()


def test_add_to_cart_only_accepts_post(client):
    # given
    variant = _variant()

    # when
    response = client.get(reverse("shop:cart_add"), {"variant_id": variant.pk})

    # then
    assert response.status_code == 405
    assert not CartLine.objects.exists()


def test_change_quantity_without_javascript(client):
    # given
    variant = _variant(stock=10)
    _add(client, variant, 1)
    line = CartLine.objects.get()

    # when
    response = client.post(reverse("shop:cart_update", args=[line.pk]), {"quantity": 4})

    # then
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 4


def test_quantity_zero_removes_the_line(client):
    # given
    variant = _variant()
    _add(client, variant, 2)
    line = CartLine.objects.get()

    # when
    client.post(reverse("shop:cart_update", args=[line.pk]), {"quantity": 0})

    # then
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity", ["-1", "100", "x", "99999999999999999999999"])
def test_bad_quantity_change_leaves_the_line_alone(client, quantity):
    # given
    variant = _variant(stock=200)
    _add(client, variant, 2)
    line = CartLine.objects.get()

    # when
    response = client.post(reverse("shop:cart_update", args=[line.pk]), {"quantity": quantity})

    # then
    assert response.status_code == 400
    line.refresh_from_db()
    assert line.quantity == 2


def test_remove_a_line(client):
    # given
    variant = _variant()
    _add(client, variant)
    line = CartLine.objects.get()

    # when
    response = client.post(reverse("shop:cart_remove", args=[line.pk]))

    # then
    assert response.status_code == 302
    assert not CartLine.objects.exists()


def test_someone_elses_cart_line_is_not_found(client):
    # given another shopper's line
    other = UserFactory()
    other_client = client.__class__()
    other_client.force_login(other)
    variant = _variant()
    _add(other_client, variant, 3)
    their_line = CartLine.objects.get()
    # and my own cart
    _add(client, _variant())

    # when
    change = client.post(reverse("shop:cart_update", args=[their_line.pk]), {"quantity": 1})
    remove = client.post(reverse("shop:cart_remove", args=[their_line.pk]))

    # then
    assert change.status_code == 404
    assert remove.status_code == 404
    their_line.refresh_from_db()
    assert their_line.quantity == 3


def test_htmx_add_returns_a_fragment_and_the_new_count(client):
    # given
    variant = _variant(stock=5)

    # when
    response = _add(client, variant, 2, **HTMX)

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "View cart (2 items)" in body
    assert json.loads(response["HX-Trigger"]) == {"shop:cart-updated": {"count": 2}}


def test_htmx_refusal_is_a_4xx_fragment_with_the_reason(client):
    # given
    variant = _variant(stock=5)

    # when
    response = _add(client, variant, 0, **HTMX)

    # then
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "Choose a quantity between 1 and 99." in response.content.decode()
    assert not CartLine.objects.exists()


def test_htmx_quantity_change_returns_the_updated_cart(client):
    # given
    variant = _variant(price=Decimal("10000"), stock=10)
    _add(client, variant, 1)
    line = CartLine.objects.get()

    # when
    response = client.post(reverse("shop:cart_update", args=[line.pk]), {"quantity": 3}, **HTMX)

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="cart-panel"' in body
    assert "<html" not in body
    assert response.context["subtotal"] == Decimal("30000")
    assert json.loads(response["HX-Trigger"])["shop:cart-updated"]["count"] == 3


def test_cart_page_works_without_a_cart(client):
    # when
    response = client.get(reverse("shop:cart"))

    # then
    assert response.status_code == 200
    assert "Your cart is empty" in response.content.decode()
    assert not Cart.objects.exists()


def test_cart_page_query_count_does_not_grow_with_lines(client):
    # given
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        _add(client, _variant())
    client.get(reverse("shop:cart"))  # warm the session and content types
    with CaptureQueriesContext(connection) as two:
        assert client.get(reverse("shop:cart")).status_code == 200
    for _ in range(8):
        _add(client, _variant())

    # when
    with CaptureQueriesContext(connection) as ten:
        response = client.get(reverse("shop:cart"))

    # then
    assert len(response.context["rows"]) == 10
    assert len(ten) == len(two)


def test_header_count_is_in_the_context(client):
    # given
    _add(client, _variant(), 3)

    # when
    response = client.get(reverse("shop:cart"))

    # then
    assert int(str(response.context["cart_count"])) == 3


@pytest.mark.parametrize(("quantity", "status"), [(150, 400), (9, 409)])
def test_htmx_refused_quantity_answers_the_panel_aimed_at_the_panel(client, quantity, status):
    # given
    variant = _variant(price=Decimal("10000"), stock=5)
    _add(client, variant, 1)
    line = CartLine.objects.get()

    # when
    response = client.post(
        reverse("shop:cart_update", args=[line.pk]), {"quantity": quantity}, **HTMX
    )

    # then the panel with the reason replaces the panel, not the page
    assert response.status_code == status
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="cart-panel"')
    assert 'role="alert"' in body
    assert response["HX-Retarget"] == "#cart-panel"
    assert response["HX-Reswap"] == "outerHTML"
    line.refresh_from_db()
    assert line.quantity == 1
