"""The storefront and checkout through a 30-second Redis outage (issue 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kampung_bench_outage \\
        .venv/bin/pytest bench/redis_outage.py --create-db -q -s -p no:warnings

A private redis-server is the cache (the product's settings), pages are
stored while it runs; then it is killed (or SIGSTOPped: `--outage=hung` is
the second parametrisation) and for OUTAGE_SECONDS shoppers loop over home,
a category, a product page, cart add, a web checkout and an API checkout with
an Idempotency-Key, in-process through Django's full middleware stack
(Django's test client; PostgreSQL; on-commit callbacks run). Prints the
number of requests, the 5xx count, the slowest request and the orders placed.
Not part of the suite (bench/ is outside testpaths)."""

# ruff: noqa: B023 - each lambda is called at once, inside its own iteration
from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from shop.models import Order
from shop.payments.test_card import SUCCESS
from shop.services.cart import cart_add, cart_for_user
from shop.tests.factories import ProductFactory, ShippingMethodFactory, UserFactory, category_create
from shop.tests.test_redis_outage import ADDRESS, cache_redis  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 30


@pytest.mark.parametrize("outage", ["killed", "hung"])
def test_bench_storefront_through_a_30_second_redis_outage(cache_redis, outage):  # noqa: F811
    category = category_create("Batik")
    product = ProductFactory(category=category, variant__stock=100_000)
    variant = product.variants.get()
    shipping = ShippingMethodFactory(price=Decimal("15000"))
    member = UserFactory(email="bench@example.com")
    api = APIClient()
    api.force_authenticate(member)
    pages = ["/", "/shop/c/batik/", product.get_absolute_url()]
    for url in pages:
        Client().get(url)
    orders_before = Order.objects.count()

    cache_redis.stop() if outage == "killed" else cache_redis.pause()
    statuses: Counter[int] = Counter()
    slowest = (0.0, "")
    n = 0
    started = time.monotonic()

    def timed(name: str, send):
        nonlocal slowest
        t = time.monotonic()
        response = send()
        elapsed = time.monotonic() - t
        statuses[response.status_code // 100 * 100] += 1
        if elapsed > slowest[0]:
            slowest = (elapsed, name)
        return response

    try:
        while time.monotonic() - started < OUTAGE_SECONDS:
            n += 1
            shopper = Client()
            for url in pages:
                timed(f"GET {url}", lambda url=url: shopper.get(url))
            timed(
                "cart add",
                lambda: shopper.post(
                    reverse("shop:cart_add"), {"variant_id": variant.pk, "quantity": 1}
                ),
            )
            page = timed("checkout page", lambda: shopper.get(reverse("shop:checkout")))
            timed(
                "web checkout",
                lambda: shopper.post(
                    reverse("shop:checkout"),
                    {
                        "idempotency_key": page.context["form"]["idempotency_key"].value(),
                        "email": f"guest{n}@example.com",
                        **ADDRESS,
                        "shipping_method": shipping.pk,
                        "payment_method": "test_card",
                        "card_number": SUCCESS,
                        "action": "place_order",
                    },
                ),
            )
            cart_add(
                cart=cart_for_user(user=member), variant_id=variant.pk, quantity=1, user=member
            )
            timed(
                "API checkout",
                lambda: api.post(
                    reverse("api:shop-checkout"),
                    {
                        "shipping_address": ADDRESS,
                        "shipping_method_id": shipping.pk,
                        "payment_gateway": "bank_transfer",
                    },
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=f"bench-{outage}-{n}",
                ),
            )
    finally:
        if outage == "hung":
            cache_redis.resume()
    seconds = time.monotonic() - started
    total = sum(statuses.values())
    print(
        f"\n{outage}: {total} requests in {seconds:.1f} s of Redis outage; "
        f"by class {dict(sorted(statuses.items()))}; 5xx {statuses[500]}; "
        f"slowest {slowest[0]:.3f} s ({slowest[1]}); "
        f"orders placed {Order.objects.count() - orders_before}"
    )
    assert statuses[500] == 0
