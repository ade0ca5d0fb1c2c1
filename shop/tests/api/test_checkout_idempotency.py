from __future__ import annotations

import pytest
from django.urls import reverse

from shop.models import CartLine, Order
from shop.services.cart import cart_add, cart_for_user
from shop.tests.api.conftest import ADDRESS, assert_error_shape
from shop.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHECKOUT = reverse("api:shop-checkout")


def body(shipping, **extra) -> dict:
    return {
        "shipping_address": ADDRESS,
        "shipping_method_id": shipping.pk,
        "payment_gateway": "bank_transfer",
        **extra,
    }


def test_a_reused_key_with_another_body_is_422_and_places_nothing(
    shopper_api, shopper, filled_cart, shipping, variant
):
    # given a first checkout with a key
    first = shopper_api.post(CHECKOUT, body(shipping), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    order = Order.objects.get()
    # and a new cart
    cart_add(cart=cart_for_user(user=shopper), variant_id=variant.pk, quantity=1)

    # when the same key comes with another body
    second = shopper_api.post(
        CHECKOUT,
        body(shipping, note="Another order, please"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    # then it is refused, and nothing was placed or changed
    assert assert_error_shape(second, 422)["code"] == "idempotency_key_reused"
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    order.refresh_from_db()
    assert order.note == ""
    assert CartLine.objects.filter(cart__user=shopper).count() == 1


def test_a_reused_key_with_the_same_body_answers_the_first_response(
    shopper_api, filled_cart, shipping
):
    # given
    payload = body(shipping, note="Ring twice")
    first = shopper_api.post(CHECKOUT, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # when the client retries with the same body (keys in another order)
    second = shopper_api.post(
        CHECKOUT,
        dict(reversed(list(payload.items()))),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )

    # then
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert Order.objects.count() == 1


def test_an_omitted_default_counts_as_the_same_body(shopper_api, filled_cart, shipping):
    # given a first call that spells out a default
    first = shopper_api.post(
        CHECKOUT, body(shipping, coupon_code=""), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )

    # when the retry leaves it out
    second = shopper_api.post(CHECKOUT, body(shipping), format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    # then it is the same request
    assert second.status_code == 201
    assert first.content == second.content


def test_the_fingerprint_binds_the_user(shopper, shipping, variant):
    from rest_framework.test import APIClient

    from shop.api.views import checkout_fingerprint

    # given two users sending the same body
    other = UserFactory()
    data = body(shipping)

    # then their fingerprints differ, and each is stable
    assert checkout_fingerprint(user=shopper, data=data) == checkout_fingerprint(
        user=shopper, data=dict(data)
    )
    assert checkout_fingerprint(user=shopper, data=data) != checkout_fingerprint(
        user=other, data=data
    )
    # and a key used by one user is free for the other (keys are per account)
    cart_add(cart=cart_for_user(user=other), variant_id=variant.pk, quantity=1)
    cart_add(cart=cart_for_user(user=shopper), variant_id=variant.pk, quantity=1)
    for user in (shopper, other):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(CHECKOUT, data, format="json", HTTP_IDEMPOTENCY_KEY="shared")
        assert response.status_code == 201, response.content
    assert Order.objects.count() == 2


def test_the_schema_documents_the_422_with_its_real_body(
    client, shopper_api, shopper, filled_cart, shipping, variant
):
    # given the documented example
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/shop/checkout/"]["post"]
    [example] = operation["responses"]["422"]["content"]["application/json"]["examples"].values()

    # when the refusal really happens
    shopper_api.post(CHECKOUT, body(shipping), format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    cart_add(cart=cart_for_user(user=shopper), variant_id=variant.pk, quantity=1)
    refused = shopper_api.post(
        CHECKOUT, body(shipping, note="x"), format="json", HTTP_IDEMPOTENCY_KEY="k-4"
    )

    # then the example is what the client gets
    assert refused.status_code == 422
    assert example["value"] == refused.json()
