"""Points at checkout under real concurrency, on PostgreSQL: real threads,
each with its own connection, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from loyalty.models import CheckoutRedemption, EntryKind, LedgerEntry
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_award
from shop.models import Cart, CartLine, Order, OrderAdjustment
from shop.services.checkout import checkout_place_order
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@dataclass
class Outcome:
    orders: list[Order] = field(default_factory=list)
    refusals: list[ApplicationError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _run_together(calls: list[Callable[[], Order]]) -> Outcome:
    outcome = Outcome()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Order]) -> None:
        try:
            barrier.wait(timeout=60)
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

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung"
    return outcome


def test_20_concurrent_checkouts_redeeming_600_of_1000_points_place_one_order(
    postgres_required,
):
    # given a member with 1,000 points and 20 carts to check out at once (a
    # member has one cart; 20 session carts stand in for 20 devices)
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=1000)
    variant = ProductFactory(variant__price=Decimal("100000"), variant__stock=100).variants.get()
    carts = Cart.objects.bulk_create([Cart(session_key=f"device-{n}") for n in range(20)])
    CartLine.objects.bulk_create([CartLine(cart=c, variant=variant, quantity=1) for c in carts])

    # when each checks out using 600 points at the same instant
    outcome = _run_together(
        [
            (
                lambda cart=cart: checkout_place_order(
                    cart=cart,
                    user=member,
                    email=member.email,
                    shipping_address=CHECKOUT_ADDRESS,
                    shipping_method_id=None,
                    payment_gateway="bank_transfer",
                    adjustment_choices={"loyalty.points": "600"},
                )
            )
            for cart in carts
        ]
    )

    # then exactly one order got the points; the others were told why and
    # left nothing behind: no order, no points line, no redemption
    assert outcome.errors == []
    assert len(outcome.orders) == 1
    assert len(outcome.refusals) == 19
    assert all(r.code == "insufficient_points" for r in outcome.refusals)
    assert all("Not enough points" in r.message for r in outcome.refusals)
    order = outcome.orders[0]
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    assert list(OrderAdjustment.objects.values_list("order_id", "amount")) == [
        (order.pk, Decimal("6000"))
    ]
    assert list(CheckoutRedemption.objects.values_list("order_id", "points")) == [(order.pk, 600)]
    redeemed = LedgerEntry.objects.filter(kind=EntryKind.REDEEM)
    assert list(redeemed.values_list("subject", "points")) == [(f"order:{order.pk}", -600)]
    assert balance_of(user_id=member.pk).available == 400
    assert list(ledger_mismatches()) == []
