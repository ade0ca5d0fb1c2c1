"""At most one charge per order, under real concurrency on PostgreSQL: one
Idempotency-Key sent many times at once through the API, and a second card
payment started while the first is being confirmed."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from shop.models import Cart, CartLine, Order, Payment
from shop.payments.test_card import DELAYED, SUCCESS
from shop.services.orders import payment_start, payment_webhook_handle
from shop.tests.factories import (
    FULL_ADDRESS,
    ProductFactory,
    UserFactory,
    card_webhook,
    order_place,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BURST = 20
ROUNDS = 20


def _burst(user, key: str, card: str, *, size: int = BURST) -> list[int]:
    """`size` threads post the same checkout with the same key at one instant;
    returns their status codes (500 for an exception the view let out)."""
    barrier = threading.Barrier(size)
    codes: list[int] = []
    lock = threading.Lock()
    body = {
        "shipping_address": FULL_ADDRESS,
        "payment_gateway": "test_card",
        "card_number": card,
    }

    def post() -> None:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=60)
            response = client.post(
                "/api/v1/shop/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            with lock:
                codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung"
    return codes


def _fill_cart(user, variant) -> None:
    cart, _ = Cart.objects.get_or_create(user=user)
    CartLine.objects.filter(cart=cart).delete()
    CartLine.objects.create(cart=cart, variant=variant, quantity=1)


def test_one_key_sent_20_times_at_once_places_and_charges_one_order(postgres_required):
    # given a shopper and a product bought with the instantly paying test card
    variant = ProductFactory(variant__stock=1000, variant__price=Decimal("118000")).variants.get()
    failures = []
    for round_number in range(ROUNDS):
        # (a shopper per round: the API allows 60 writes a minute per user)
        user = UserFactory()
        _fill_cart(user, variant)
        key = f"burst-{round_number}"

        # when the same checkout is posted 20 times at once with one key
        codes = _burst(user, key, SUCCESS)

        # then every answer is the one order, placed and charged once
        orders = Order.objects.filter(idempotency_key=key)
        payments = Payment.objects.filter(order__in=orders)
        if (
            any(code >= 500 for code in codes)
            or set(codes) != {201}
            or orders.count() != 1
            or payments.count() != 1
        ):
            failures.append(
                {
                    "round": round_number,
                    "5xx": sum(code >= 500 for code in codes),
                    "orders": orders.count(),
                    "payments": payments.count(),
                }
            )
    assert failures == [], f"{len(failures)} of {ROUNDS} rounds: {failures}"
    assert Order.objects.filter(status=Order.Status.PAID).count() == ROUNDS
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (1000 - ROUNDS, 0)


def test_a_burst_with_a_delayed_card_starts_one_payment(postgres_required):
    # given a card whose payment is confirmed later by webhook
    variant = ProductFactory(variant__stock=100).variants.get()
    user = UserFactory()
    _fill_cart(user, variant)

    # when the checkout is posted 20 times at once
    codes = _burst(user, "delayed-burst", DELAYED)

    # then one order with one payment waiting for its confirmation
    assert set(codes) == {201}
    order = Order.objects.get(idempotency_key="delayed-burst")
    assert order.payments.count() == 1
    assert order.payments.get().status == Payment.Status.PENDING


def test_no_second_payment_starts_while_one_is_being_confirmed():
    # given an order whose card payment is still being confirmed
    variant = ProductFactory(variant__stock=10).variants.get()
    order = order_place(variant)
    payment_start(order=order, data={"card_number": DELAYED})

    # when the shopper tries to pay again on the pay page
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        payment_start(order=order, data={"card_number": SUCCESS})

    # then it is refused and nothing was charged
    assert refused.value.code == "payment_in_progress"
    assert order.payments.count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_second_capture_on_a_paid_order_becomes_a_refund_due(mailoutbox, settings):
    # given an order paid by one card payment, and a second payment for it
    # captured elsewhere (a delayed confirmation that arrives after all)
    settings.SHOP_STAFF_EMAILS = ["staff@example.com"]
    variant = ProductFactory(variant__stock=10, variant__price=Decimal("118000")).variants.get()
    order = order_place(variant, quantity=1)
    payment_start(order=order, data={"card_number": SUCCESS})
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    Payment.objects.create(
        order=order, gateway="test_card", reference="tc_late", amount=order.total
    )

    # when its confirmation comes in
    body, headers = card_webhook(order, reference="tc_late")
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then the money is owed back: flagged on the order, its payment marked
    # refund due, the stock untouched, and staff told
    assert outcome == "processed"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.refund_due == order.total
    late = order.payments.get(reference="tc_late")
    assert late.status == Payment.Status.REFUND_DUE
    assert order.payments.filter(status=Payment.Status.SUCCEEDED).count() == 1
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (9, 0)
    assert any(order.number in message.subject for message in mailoutbox)
    assert Order.objects.filter(refund_due__gt=0).get() == order
