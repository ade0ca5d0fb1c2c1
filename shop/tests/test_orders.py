from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop import events
from shop.models import Coupon, CouponRedemption, Order, Product, Variant
from shop.services.cart import cart_add, cart_for_session
from shop.services.checkout import checkout_place_order
from shop.services.orders import (
    order_cancel,
    order_complete,
    order_fulfil,
    order_mark_delivered,
    order_mark_paid,
    order_refund,
    orders_expire_unpaid,
)
from shop.tests.factories import CouponFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Siti", "phone": "0812", "line1": "Jl. Melati 12", "city": "Yogya"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _variant(stock: int = 5) -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=stock).variants.get()


def _order(variant: Variant, quantity: int = 1, coupon_code: str = "") -> Order:
    cart = cart_for_session(session_key=f"s{Order.objects.count()}")
    cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return checkout_place_order(
        cart=cart,
        user=None,
        email="buyer@example.com",
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        coupon_code=coupon_code,
    )


def _events(event_class) -> list[dict]:
    return [
        e.payload
        for e in OutboxEvent.objects.filter(event_type=event_class.event_type).order_by(
            "created_at"
        )
    ]


def _history(order: Order) -> list[tuple[str, str]]:
    return list(order.history.values_list("from_status", "to_status"))


def test_paying_commits_the_held_stock_and_counts_the_sale():
    # given
    variant = _variant(stock=5)
    order = _order(variant, quantity=2)
    staff = UserFactory(is_staff=True)

    # when
    order = order_mark_paid(order_id=order.pk, payment_reference="BCA-1", actor=staff)

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (3, 0)
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.payment_reference == "BCA-1"
    assert Product.objects.get(pk=variant.product_id).sales_count == 2
    assert _history(order)[-1] == ("pending_payment", "paid")
    assert order.history.last().actor == staff
    [paid] = _events(events.OrderPaid)
    assert Decimal(paid.pop("total")) == Decimal("200000")
    assert paid == {
        "order_id": order.pk,
        "number": order.number,
        "user_id": None,
        "currency": "IDR",
        "product_ids": [variant.product_id],
        "sequence": 2,
        "lines": [
            {
                "product_id": variant.product_id,
                "variant_id": variant.pk,
                "sku": variant.sku,
                "quantity": 2,
                "unit_price": "100000.00",
                "line_total": "200000.00",
            }
        ],
        "adjustments": [],
        "shipping": "0.00",
    }


def test_paying_twice_with_the_same_reference_changes_nothing_more():
    # given
    variant = _variant(stock=5)
    order = _order(variant)
    order_mark_paid(order_id=order.pk, payment_reference="ref-1")

    # when
    order_mark_paid(order_id=order.pk, payment_reference="ref-1")

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (4, 0)
    assert len(_events(events.OrderPaid)) == 1
    assert order.history.count() == 2


def test_full_lifecycle_is_recorded_with_an_event_per_step():
    # given
    order = _order(_variant())
    order_mark_paid(order_id=order.pk, payment_reference="r")

    # when
    order = order_fulfil(order_id=order.pk, carrier=" JNE ", tracking_number=" JN123 ")
    order_mark_delivered(order_id=order.pk)
    order = order_complete(order_id=order.pk)

    # then
    assert order.status == Order.Status.COMPLETED
    assert (order.carrier, order.tracking_number) == ("JNE", "JN123")
    assert _history(order) == [
        ("", "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "fulfilled"),
        ("fulfilled", "delivered"),
        ("delivered", "completed"),
    ]
    assert order.history.get(to_status="fulfilled").note == "JNE JN123"
    assert _events(events.OrderFulfilled) == [
        {
            "order_id": order.pk,
            "user_id": None,
            "carrier": "JNE",
            "tracking_number": "JN123",
            "sequence": 3,
        }
    ]
    assert [e["sequence"] for e in _events(events.OrderDelivered)] == [4]
    assert [e["sequence"] for e in _events(events.OrderCompleted)] == [5]


@pytest.mark.parametrize(
    ("steps", "attempt"),
    [
        ([], order_fulfil),
        ([], order_mark_delivered),
        ([], order_complete),
        (["pay"], order_complete),
        (["pay", "cancel"], order_mark_paid),
        (["pay", "fulfil", "deliver", "complete"], order_cancel),
        (["cancel"], order_cancel),
    ],
)
def test_invalid_transitions_are_refused_with_409_and_change_nothing(steps, attempt):
    # given
    order = _order(_variant())
    for step in steps:
        {
            "pay": lambda: order_mark_paid(order_id=order.pk, payment_reference="r"),
            "cancel": lambda: order_cancel(order_id=order.pk),
            "fulfil": lambda: order_fulfil(order_id=order.pk, carrier="J", tracking_number="1"),
            "deliver": lambda: order_mark_delivered(order_id=order.pk),
            "complete": lambda: order_complete(order_id=order.pk),
        }[step]()
    before = Order.objects.get(pk=order.pk)
    history = order.history.count()
    kwargs = {"carrier": "J", "tracking_number": "1"} if attempt is order_fulfil else {}

    # when
    with pytest.raises(ApplicationError) as refused:
        attempt(order_id=order.pk, **kwargs)

    # then
    assert refused.value.status_code == 409
    after = Order.objects.get(pk=order.pk)
    assert (after.status, after.carrier, after.updated_at) == (
        before.status,
        before.carrier,
        before.updated_at,
    )
    assert order.history.count() == history


def test_unknown_order_is_404():
    with pytest.raises(ApplicationError) as refused:
        order_fulfil(order_id=999_999, carrier="J", tracking_number="1")
    assert refused.value.status_code == 404


def test_cancelling_an_unpaid_order_releases_the_hold_and_the_coupon():
    # given
    variant = _variant(stock=5)
    coupon = CouponFactory(usage_limit=1)
    order = _order(variant, quantity=2, coupon_code=coupon.code)

    # when
    order = order_cancel(order_id=order.pk, reason="Changed my mind")

    # then
    variant.refresh_from_db()
    coupon.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 0)
    assert coupon.times_used == 0
    assert not CouponRedemption.objects.exists()
    assert order.status == Order.Status.CANCELLED
    assert order.history.last().note == "Changed my mind"
    [cancelled] = _events(events.OrderCancelled)
    assert cancelled["lines"][0]["variant_id"] == variant.pk
    assert {k: cancelled[k] for k in ("order_id", "user_id", "was_paid", "sequence")} == {
        "order_id": order.pk,
        "user_id": None,
        "was_paid": False,
        "sequence": 2,
    }
    # the single-use coupon is usable again
    assert _order(variant, coupon_code=coupon.code).coupon == coupon


def test_cancelling_a_paid_order_restocks_and_announces_a_sold_out_variant_is_back():
    # given the last unit sold and paid
    variant = _variant(stock=1)
    order = _order(variant)
    order_mark_paid(order_id=order.pk, payment_reference="r")
    assert Variant.objects.get(pk=variant.pk).stock == 0

    # when
    order_cancel(order_id=order.pk)

    # then
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (1, 0)
    assert Product.objects.get(pk=variant.product_id).in_stock
    assert _events(events.OrderCancelled)[0]["was_paid"] is True
    assert _events(events.VariantBackInStock) == [
        {"variant_id": variant.pk, "product_id": variant.product_id}
    ]


def test_cancelling_a_paid_order_of_an_available_variant_announces_nothing():
    # given
    variant = _variant(stock=5)
    order = _order(variant)
    order_mark_paid(order_id=order.pk, payment_reference="r")

    # when
    order_cancel(order_id=order.pk)

    # then
    assert Variant.objects.get(pk=variant.pk).stock == 5
    assert _events(events.VariantBackInStock) == []


def test_partial_then_full_refund():
    # given a paid order of 200,000
    order = _order(_variant(), quantity=2)
    order_mark_paid(order_id=order.pk, payment_reference="r")

    # when
    order = order_refund(order_id=order.pk, amount=Decimal("50000"), reason="Damaged box")

    # then the order stays paid, with the refund recorded
    assert (order.status, order.refunded_total) == ("paid", Decimal("50000"))
    assert order.history.last().note == "Damaged box"
    assert _history(order)[-1] == ("paid", "paid")

    # when the rest is refunded
    order = order_refund(order_id=order.pk)

    # then
    assert (order.status, order.refunded_total) == ("refunded", Decimal("200000"))
    assert [(Decimal(e["amount"]), e["full"]) for e in _events(events.OrderRefunded)] == [
        (Decimal("50000"), False),
        (Decimal("150000"), True),
    ]


@pytest.mark.parametrize("amount", ["150001", "0", "-1", "0.001", "abc", "NaN", "Infinity"])
def test_refund_outside_what_is_left_is_refused(amount):
    # given a paid order of 200,000 already refunded 50,000
    order = _order(_variant(), quantity=2)
    order_mark_paid(order_id=order.pk, payment_reference="r")
    order_refund(order_id=order.pk, amount=Decimal("50000"))

    # when
    with pytest.raises(ApplicationError) as refused:
        order_refund(order_id=order.pk, amount=amount)

    # then
    assert refused.value.code == "invalid_amount"
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == ("paid", Decimal("50000"))
    assert len(_events(events.OrderRefunded)) == 1


def test_unpaid_order_cannot_be_refunded():
    order = _order(_variant())
    with pytest.raises(ApplicationError) as refused:
        order_refund(order_id=order.pk)
    assert refused.value.status_code == 409
    order.refresh_from_db()
    assert order.refunded_total == 0


def test_expiry_cancels_only_unpaid_orders_whose_hold_ran_out():
    # given an expired unpaid order, a fresh one and an expired but paid one
    variant = _variant(stock=5)
    expired, fresh, paid = _order(variant), _order(variant), _order(variant)
    order_mark_paid(order_id=paid.pk, payment_reference="r")
    past = timezone.now() - timedelta(minutes=1)
    Order.objects.filter(pk__in=[expired.pk, paid.pk]).update(reserved_until=past)

    # when
    count = orders_expire_unpaid()

    # then
    assert count == 1
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {expired.pk: "cancelled", fresh.pk: "pending_payment", paid.pk: "paid"}
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (4, 1)
    assert Order.objects.get(pk=expired.pk).history.last().note == (
        "Payment did not arrive in time"
    )


def test_a_cancelled_order_cannot_be_paid():
    order = _order(_variant())
    order_cancel(order_id=order.pk)
    with pytest.raises(ApplicationError) as refused:
        order_mark_paid(order_id=order.pk, payment_reference="late")
    assert refused.value.code == "order_cancelled"
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_coupon_model_has_no_negative_uses_after_cancel():
    # given a coupon whose counter was reset by staff
    variant = _variant()
    coupon = CouponFactory()
    order = _order(variant, coupon_code=coupon.code)
    Coupon.objects.filter(pk=coupon.pk).update(times_used=0)

    # when
    order_cancel(order_id=order.pk)

    # then
    assert Coupon.objects.get(pk=coupon.pk).times_used == 0
