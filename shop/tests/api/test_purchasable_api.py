"""The API asks the same "can this member buy this now" rule as the web
(selectors.variants_purchasable): cart add, the cart and checkout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import hooks
from shop.models import CartLine, Order, Product, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.tests.api.conftest import ADDRESS, assert_error_shape
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CART = reverse("api:shop-cart")
LINES = reverse("api:shop-cart-lines")
CHECKOUT = reverse("api:shop-checkout")
LATER = timedelta(days=3)
NOT_PURCHASABLE = ["unlaunched", "unpublished", "inactive"]


def _variant(**kwargs) -> Variant:
    return ProductFactory(
        variant__price=Decimal("100000"), variant__stock=5, **kwargs
    ).variants.get()


def _make_unavailable(variant: Variant, how: str) -> None:
    if how == "unpublished":
        Product.objects.filter(pk=variant.product_id).update(is_published=False)
    elif how == "inactive":
        Variant.objects.filter(pk=variant.pk).update(is_active=False)
    elif how == "unlaunched":
        Product.objects.filter(pk=variant.product_id).update(available_from=timezone.now() + LATER)
    else:  # pragma: no cover
        raise AssertionError(how)


def _client_for(user) -> APIClient:
    """Signed in by session: each request loads its own user, as in
    production (force_authenticate would share one user object)."""
    client = APIClient()
    client.force_login(user)
    return client


def _checkout(client, key: str):
    return client.post(
        CHECKOUT,
        {"shipping_address": ADDRESS, "payment_gateway": "bank_transfer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _lines(user) -> list[tuple[int, int]]:
    return sorted(CartLine.objects.filter(cart__user=user).values_list("variant_id", "quantity"))


@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_api_add_of_a_variant_not_on_sale_is_refused_with_409_and_the_cart_unchanged(how):
    # given a member with one line, and a variant not on sale
    member = UserFactory()
    client = _client_for(member)
    on_sale = _variant()
    assert client.post(LINES, {"variant_id": on_sale.pk, "quantity": 2}).status_code == 201
    hidden = _variant()
    _make_unavailable(hidden, how)
    page = client.get(reverse("api:shop-product", args=[hidden.product.slug]))
    assert page.status_code == (200 if how == "inactive" else 404)

    # when
    response = client.post(LINES, {"variant_id": hidden.pk, "quantity": 1})

    # then
    body = assert_error_shape(response, 409)
    assert body["code"] == "not_purchasable"
    assert body["detail"] == "This item is not on sale at the moment."
    assert _lines(member) == [(on_sale.pk, 2)]


@pytest.mark.parametrize("how", NOT_PURCHASABLE)
def test_api_checkout_of_a_product_made_unavailable_after_it_was_added_is_refused(how):
    # given
    member = UserFactory()
    client = _client_for(member)
    kept, withdrawn = _variant(), _variant()
    for variant in (kept, withdrawn):
        assert client.post(LINES, {"variant_id": variant.pk, "quantity": 2}).status_code == 201
    _make_unavailable(withdrawn, how)

    # when
    cart = client.get(CART).json()
    response = _checkout(client, "key-1")

    # then: the cart shows the line as not buyable, out of the totals ...
    buyable = {line["variant_id"]: line["buyable"] for line in cart["lines"]}
    assert buyable == {kept.pk: True, withdrawn.pk: False}
    assert cart["subtotal"] == "200000.00"
    assert cart["item_count"] == 2
    # ... and checkout refuses it by name, holding and charging nothing
    body = assert_error_shape(response, 409)
    assert body["code"] == "not_purchasable"
    assert withdrawn.product.name in body["detail"]
    assert not Order.objects.exists()
    assert list(Variant.objects.order_by("pk").values_list("reserved", flat=True)) == [0, 0]
    assert _lines(member) == sorted([(kept.pk, 2), (withdrawn.pk, 2)])


def test_an_early_access_member_adds_and_buys_through_the_api_and_another_member_cannot():
    # given
    variant = _variant(available_from=timezone.now() + LATER)
    insider, outsider = UserFactory(), UserFactory()

    def early_access(user):
        return {variant.product_id} if user.pk == insider.pk else set()

    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        # when
        refused = _client_for(outsider).post(LINES, {"variant_id": variant.pk, "quantity": 1})
        insider_client = _client_for(insider)
        added = insider_client.post(LINES, {"variant_id": variant.pk, "quantity": 2})
        placed = _checkout(insider_client, "early-1")

    # then
    assert assert_error_shape(refused, 409)["code"] == "not_purchasable"
    assert _lines(outsider) == []
    assert added.status_code == 201
    assert added.json()["lines"][0]["buyable"] is True
    assert placed.status_code == 201, placed.content
    order = Order.objects.get()
    assert order.user == insider
    assert order.lines.get().variant_id == variant.pk
    variant.refresh_from_db()
    assert variant.reserved == 2


def test_the_cart_api_costs_the_same_queries_for_one_line_or_four_and_asks_the_hook_once(
    django_assert_num_queries,
):
    # given a member with one line and a hook that opens one upcoming product
    member = UserFactory()
    client = _client_for(member)
    early = _variant(available_from=timezone.now() + LATER)
    calls: list[int] = []

    def early_access(user):
        calls.append(user.pk)
        return {early.product_id}

    cart = cart_for_user(user=member)
    cart_add(cart=cart, variant_id=_variant().pk)
    with hooks.registered(hooks.PRODUCT_EARLY_ACCESS, early_access):
        client.get(CART)
        with CaptureQueriesContext(connection) as one_line:
            client.get(CART)
        one_line_queries = len(one_line)  # the next request clears the log
        withdrawn = _variant()
        for variant in (early, withdrawn, _variant()):
            cart_add(cart=cart, variant_id=variant.pk, user=member)
        _make_unavailable(withdrawn, "inactive")
        calls.clear()

        # when
        with django_assert_num_queries(one_line_queries):
            response = client.get(CART)

    # then
    assert [line["buyable"] for line in response.json()["lines"]] == [True, True, False, True]
    assert calls == [member.pk]
