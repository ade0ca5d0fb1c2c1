"""Checkout under real concurrency, on PostgreSQL: real threads, each with its
own database connection, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation

from core.exceptions import ApplicationError
from shop.models import Cart, CartLine, Coupon, Order, Variant
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_mark_paid
from shop.services.stock import SoldOut
from shop.tests.factories import CouponFactory, ProductFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# PostgreSQL allows about 100 connections: 50 threads (all released at the
# same instant) work through the buyers.
THREADS = 50
ADDRESS = {"full_name": "Siti", "phone": "0812", "line1": "Jl. Melati 12", "city": "Yogya"}


@dataclass
class Outcome:
    orders: list[Order] = field(default_factory=list)
    refusals: list[ApplicationError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _run_together(calls: list[Callable[[], Order]], threads: int = THREADS) -> Outcome:
    """Run `calls` on `threads` threads that all start at the same instant;
    each thread has its own connection and closes it when done."""
    outcome = Outcome()
    threads = min(threads, len(calls))
    barrier = threading.Barrier(threads)

    def worker(chunk: list[Callable[[], Order]]) -> None:
        try:
            barrier.wait(timeout=60)
            for call in chunk:
                try:
                    with translation.override("en"):
                        order = call()
                except ApplicationError as exc:
                    with outcome.lock:
                        outcome.refusals.append(exc)
                except BaseException as exc:  # noqa: BLE001 - every surprise is counted
                    with outcome.lock:
                        outcome.errors.append(exc)
                else:
                    with outcome.lock:
                        outcome.orders.append(order)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(calls[i::threads],)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in workers), "a checkout hung"
    return outcome


def _buyers(variant: Variant, count: int, *, quantity: int = 1) -> list[Cart]:
    """`count` shoppers, each with a cart holding `quantity` of `variant`."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(email=f"racer{n}@example.com", display_name=f"Racer {n}") for n in range(count)]
    )
    carts = Cart.objects.bulk_create([Cart(user=user) for user in users])
    CartLine.objects.bulk_create(
        [CartLine(cart=cart, variant=variant, quantity=quantity) for cart in carts]
    )
    return list(Cart.objects.filter(pk__in=[c.pk for c in carts]).select_related("user"))


def _checkout(cart: Cart, **kwargs) -> Callable[[], Order]:
    return lambda: checkout_place_order(
        cart=cart,
        user=cart.user,
        email=cart.user.email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        **kwargs,
    )


def race_for_ten_units(buyers: int = 200) -> tuple[Variant, Outcome]:
    variant = ProductFactory(variant__stock=10, variant__price=Decimal("50000")).variants.get()
    carts = _buyers(variant, buyers)
    return variant, _run_together([_checkout(cart) for cart in carts])


def test_200_buyers_racing_for_10_units_get_exactly_10_orders(postgres_required):
    # given 200 shoppers with one unit each in their cart, 10 units on the shelf
    # when they all check out at once
    variant, outcome = race_for_ten_units()

    # then exactly 10 orders hold the 10 units; everyone else heard "sold out"
    assert outcome.errors == []
    assert len(outcome.orders) == 10
    assert Order.objects.count() == 10
    assert len(outcome.refusals) == 190
    assert all(isinstance(refusal, SoldOut) for refusal in outcome.refusals)
    assert all("sold out" in refusal.message for refusal in outcome.refusals)
    assert all(refusal.status_code == 409 for refusal in outcome.refusals)
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (10, 10)
    assert CartLine.objects.count() == 190  # refused buyers keep their carts

    # when every order is paid
    for order in outcome.orders:
        order_mark_paid(order_id=order.pk, payment_reference=f"pay-{order.number}")

    # then the shelf is empty, never negative
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (0, 0)
    assert not Variant.objects.filter(stock__lt=0).exists()


def test_a_single_use_coupon_is_used_once_by_50_concurrent_checkouts(postgres_required):
    # given 50 shoppers and one single-use coupon
    variant = ProductFactory(variant__stock=100).variants.get()
    coupon = CouponFactory(code="SEKALI", usage_limit=1)
    carts = _buyers(variant, 50)

    # when they all check out with it at once
    outcome = _run_together([_checkout(cart, coupon_code="SEKALI") for cart in carts])

    # then one order has it; the others were told it is used up
    assert outcome.errors == []
    assert len(outcome.orders) == 1
    assert Order.objects.filter(coupon=coupon).count() == 1
    assert len(outcome.refusals) == 49
    assert {refusal.code for refusal in outcome.refusals} == {"coupon_used_up"}
    assert {refusal.message for refusal in outcome.refusals} == {"This coupon has been used up."}
    coupon.refresh_from_db()
    assert coupon.times_used == 1
    variant.refresh_from_db()
    assert variant.reserved == 1
    assert Coupon.objects.get().redemptions.count() == 1


def test_the_same_checkout_posted_twice_at_once_places_one_order(postgres_required):
    # given ten shoppers, each about to double-click "place order"
    variant = ProductFactory(variant__stock=100).variants.get()
    carts = _buyers(variant, 10, quantity=2)
    calls = []
    for cart in carts:
        calls += [_checkout(cart, idempotency_key=f"key-{cart.pk}")] * 2

    # when both clicks of every shopper arrive together (20 threads, one barrier)
    outcome = _run_together(calls, threads=len(calls))

    # then each shopper has one order, and both clicks answered with it
    assert outcome.errors == []
    assert outcome.refusals == []
    assert len(outcome.orders) == 20
    assert Order.objects.count() == 10
    by_key: dict[str, set[int]] = {}
    for order in outcome.orders:
        by_key.setdefault(order.idempotency_key, set()).add(order.pk)
    assert len(by_key) == 10
    assert all(len(pks) == 1 for pks in by_key.values())
    variant.refresh_from_db()
    assert variant.reserved == 20


def _lock_variants_without_a_lock(variant_ids):
    """The naive version: read the rows, lock nothing."""
    ids = sorted(set(variant_ids))
    variants = Variant.objects.select_related("product").filter(pk__in=ids).order_by("pk")
    return {variant.pk: variant for variant in variants}


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Without row locks every buyer reads a stale `reserved` and the stock "
    "is oversold: the race above must fail against this naive version.",
)
def test_naive_checkout_without_row_locks_oversells(postgres_required, monkeypatch):
    # given the stock service reads the variants without select_for_update
    monkeypatch.setattr("shop.services.stock.lock_variants", _lock_variants_without_a_lock)

    # when 200 buyers race for 10 units
    variant, outcome = race_for_ten_units()

    # then the assertions of the real race fail: lost updates on `reserved`
    # let far more than 10 orders through
    assert outcome.errors == []
    assert len(outcome.orders) == 10
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (10, 10)
