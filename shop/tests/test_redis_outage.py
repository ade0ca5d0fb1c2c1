"""The shop keeps selling while its Redis (the cache: pages, sessions, rate
limits, throttles) is down or hangs: a private redis-server is configured as
the cache with the product's options, then killed or paused (SIGSTOP), and a
shopper's whole journey must answer without a 5xx, each request within a
generous bound. PostgreSQL and real commits (on-commit callbacks run)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config.settings.base import redis_cache
from conftest import require_service
from core import cachebackend
from core.testing.processes import RedisServer
from shop.models import Order
from shop.payments.test_card import SUCCESS
from shop.tests.factories import (
    FULL_ADDRESS,
    ProductFactory,
    ShippingMethodFactory,
    UserFactory,
    category_create,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REQUEST_BOUND = 5.0  # seconds: "does not hang", not a performance figure
PASSWORD = "Kampung-outage-1"
ADDRESS = FULL_ADDRESS


@pytest.fixture
def cache_redis(tmp_path, settings, postgres_required) -> Iterator[RedisServer]:
    """The product's Redis cache settings, pointed at a private server."""
    server = RedisServer(tmp_path / "redis")
    require_service("Redis", server.start(), "redis-server could not be started")
    settings.CACHES = {"default": redis_cache(server.url)}
    settings.PAGE_CACHE_SECONDS = 300
    cachebackend.reset_breakers()
    try:
        yield server
    finally:
        server.stop()
        cachebackend.reset_breakers()


class Journey:
    """Timed requests; records every status and duration."""

    def __init__(self) -> None:
        self.results: list[tuple[str, int, float]] = []

    def __call__(self, name: str, send) -> object:
        started = time.monotonic()
        response = send()
        self.results.append((name, response.status_code, time.monotonic() - started))
        return response

    @property
    def errors(self) -> list[tuple[str, int, float]]:
        return [r for r in self.results if r[1] >= 500]

    @property
    def slow(self) -> list[tuple[str, int, float]]:
        return [r for r in self.results if r[2] > REQUEST_BOUND]


def _sign_in(client: Client, email: str) -> object:
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


@pytest.mark.parametrize("outage", ["killed", "hung"])
def test_the_storefront_sells_through_a_redis_outage(cache_redis, outage):
    # given: a catalogue, a signed-in member with a cart, a guest with a cart,
    # pages stored in the cache while Redis is up
    category = category_create("Batik")
    product = ProductFactory(category=category, variant__price=Decimal("100000"), variant__stock=50)
    variant = product.variants.get()
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    member = UserFactory(email="member@example.com")
    member.set_password(PASSWORD)
    member.save()
    member_web = Client()
    assert _sign_in(member_web, member.email).status_code == 302
    member_web.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})
    guest = Client()
    guest.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 2})
    api = APIClient()
    api.force_authenticate(member)
    pages = ["/", "/shop/c/batik/", product.get_absolute_url()]
    for url in pages:
        Client().get(url)
    orders_before = Order.objects.count()

    # when Redis goes away
    if outage == "killed":
        cache_redis.stop()
    else:
        cache_redis.pause()
    journey = Journey()
    try:
        for url in pages:
            journey(f"GET {url} (cookieless)", lambda url=url: Client().get(url))
            journey(f"GET {url} (guest)", lambda url=url: guest.get(url))
            journey(f"GET {url} (member)", lambda url=url: member_web.get(url))
        journey(
            "cart add (guest)",
            lambda: guest.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1}),
        )
        guest_cart = journey("cart page (guest)", lambda: guest.get(reverse("shop:cart")))
        member_cart = journey("cart page (member)", lambda: member_web.get(reverse("shop:cart")))
        profile = journey("profile (member)", lambda: member_web.get(reverse("accounts:profile")))
        checkout_page = journey(
            "checkout page (guest)", lambda: guest.get(reverse("shop:checkout"))
        )
        web_order = journey(
            "web checkout (guest)",
            lambda: guest.post(
                reverse("shop:checkout"),
                {
                    "idempotency_key": checkout_page.context["form"]["idempotency_key"].value(),
                    "email": "guest@example.com",
                    **ADDRESS,
                    "shipping_method": shipping.pk,
                    "payment_method": "test_card",
                    "card_number": SUCCESS,
                    "action": "place_order",
                },
            ),
        )
        api_order = journey(
            "API checkout (member)",
            lambda: api.post(
                reverse("api:shop-checkout"),
                {
                    "shipping_address": ADDRESS,
                    "shipping_method_id": shipping.pk,
                    "payment_gateway": "bank_transfer",
                },
                format="json",
                HTTP_IDEMPOTENCY_KEY="outage-1",
            ),
        )
        failed_sign_in = journey(
            "failed sign-in (rate limits, axes)",
            lambda: Client().post(
                reverse("account_login"), {"login": member.email, "password": "wrong"}
            ),
        )
        newcomer = Client()
        sign_in = journey("sign-in", lambda: _sign_in(newcomer, member.email))
        after_sign_in = journey(
            "profile after sign-in", lambda: newcomer.get(reverse("accounts:profile"))
        )
    finally:
        if outage == "hung":
            cache_redis.resume()

    # then
    for name, status, seconds in journey.results:
        print(f"{outage:6} {status} {seconds:6.3f} s  {name}")
    assert journey.errors == []
    assert journey.slow == []
    assert guest_cart.context["rows"][0]["line"].quantity == 3  # the cart survived
    assert member_cart.context["rows"], "the member's cart survived"
    assert profile.status_code == 200  # still signed in
    assert web_order.status_code == 302
    assert api_order.status_code == 201, api_order.content
    assert Order.objects.count() == orders_before + 2
    assert failed_sign_in.status_code == 200  # the form again, with its error
    assert sign_in.status_code == 302
    assert after_sign_in.status_code == 200
    assert settings.SESSION_ENGINE == "core.sessions"  # cached_db, outage-safe


def test_a_guest_order_placed_while_redis_hung_stays_theirs_when_it_answers_again(
    cache_redis, monkeypatch
):
    """The session's cached copy from before the hang must not come back:
    it would not list the order placed meanwhile (nor, for a new cart, the
    cart)."""
    # given: a guest with a session (a cart), cached while Redis runs
    monkeypatch.setattr(cachebackend, "CIRCUIT_OPEN_SECONDS", 0.3)
    variant = ProductFactory(variant__stock=10).variants.get()
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    guest = Client()
    guest.post(reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1})
    assert guest.get(reverse("shop:cart")).status_code == 200

    # when: the order is placed while Redis hangs, then Redis answers again
    cache_redis.pause()
    try:
        page = guest.get(reverse("shop:checkout"))
        placed = guest.post(
            reverse("shop:checkout"),
            {
                "idempotency_key": page.context["form"]["idempotency_key"].value(),
                "email": "guest@example.com",
                **ADDRESS,
                "shipping_method": shipping.pk,
                "payment_method": "bank_transfer",
                "action": "place_order",
            },
        )
    finally:
        cache_redis.resume()
    time.sleep(0.5)  # past the breaker's period: the cache is used again
    order = Order.objects.get()
    after = guest.get(reverse("shop:order_detail", args=[order.number]))

    # then
    assert placed.status_code == 302
    assert after.status_code == 200
