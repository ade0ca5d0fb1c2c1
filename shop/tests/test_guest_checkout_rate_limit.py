"""Guest checkout mails a confirmation to any address typed in: it is rate
limited per client address and per email, and fails open without a cache."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from shop.models import Order
from shop.tests.factories import ProductFactory, ShippingMethodFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Siti Rahma",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Melati 12",
    "city": "Yogyakarta",
    "postal_code": "55281",
}


@pytest.fixture
def variant():
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=50).variants.get()


@pytest.fixture
def shipping():
    return ShippingMethodFactory(price=Decimal("15000"))


def _guest_order(client, variant, shipping, email: str) -> int:
    """Fill the cart and place one order; the checkout POST's status."""
    client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})
    page = client.get(reverse("shop:checkout"))
    data = {
        "idempotency_key": page.context["form"]["idempotency_key"].value(),
        "email": email,
        **ADDRESS,
        "shipping_method": shipping.pk,
        "payment_method": "bank_transfer",
        "action": "place_order",
    }
    return client.post(reverse("shop:checkout"), data).status_code


def test_guest_orders_from_one_client_address_are_rate_limited(settings, variant, shipping):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "guest_checkout_ip": "3/h"}

    # when: four strangers' addresses from one client
    statuses = [
        _guest_order(Client(REMOTE_ADDR="203.0.113.5"), variant, shipping, f"v{i}@example.com")
        for i in range(4)
    ]

    # then
    assert statuses == [302, 302, 302, 429]
    assert Order.objects.count() == 3
    assert not Order.objects.filter(email="v3@example.com").exists()


def test_guest_orders_to_one_email_are_rate_limited(settings, variant, shipping):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "guest_checkout_email": "2/h"}

    # when: one stranger's address from three clients
    statuses = [
        _guest_order(Client(REMOTE_ADDR=f"203.0.113.{i}"), variant, shipping, "victim@example.com")
        for i in range(3)
    ]

    # then
    assert statuses == [302, 302, 429]
    assert Order.objects.filter(email="victim@example.com").count() == 2


def test_the_refusal_says_what_to_do(settings, variant, shipping):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "guest_checkout_ip": "1/h"}
    client = Client(REMOTE_ADDR="203.0.113.5")
    _guest_order(client, variant, shipping, "a@example.com")
    client.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})
    page = client.get(reverse("shop:checkout"))

    # when
    response = client.post(
        reverse("shop:checkout"),
        {
            "idempotency_key": page.context["form"]["idempotency_key"].value(),
            "email": "b@example.com",
            **ADDRESS,
            "shipping_method": shipping.pk,
            "payment_method": "bank_transfer",
            "action": "place_order",
        },
    )

    # then
    assert response.status_code == 429
    assert "Too many orders from here" in response.content.decode()


def test_members_are_not_limited_by_the_guest_limit(settings, variant, shipping):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "guest_checkout_ip": "1/h"}
    member = UserFactory()
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.force_login(member)

    # when
    statuses = [_guest_order(client, variant, shipping, member.email) for _ in range(3)]

    # then
    assert statuses == [302, 302, 302]


def test_the_limit_fails_open_when_the_cache_is_down(monkeypatch, settings, variant, shipping):
    # given
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "guest_checkout_ip": "1/h"}

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)

    # when
    statuses = [
        _guest_order(Client(REMOTE_ADDR="203.0.113.5"), variant, shipping, f"g{i}@example.com")
        for i in range(2)
    ]

    # then
    assert statuses == [302, 302]
    assert Order.objects.count() == 2
