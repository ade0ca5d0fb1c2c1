"""Checkout adjustments: another app (loyalty's points) quotes an amount off,
applies it inside the order's transaction and gets it back, exactly once,
when the order is cancelled or refunded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core import hooks
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.events import OrderCancelled, OrderPlaced
from shop.models import Order, OrderAdjustment, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel, order_mark_paid, order_refund
from shop.tests.factories import CHECKOUT_ADDRESS, FULL_ADDRESS, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


class Points:
    """A provider as loyalty registers one: 1 point = 1 rupiah, the shopper
    chooses how many to use, the balance lives here."""

    code = "test.points"

    def __init__(self, balance: int = 50_000, refuse: bool = False) -> None:
        self.balance = balance
        self.refuse = refuse
        self.applied: list[tuple[int, Decimal]] = []
        self.released: list[tuple[int, Decimal, str]] = []

    def quote(self, *, user, subtotal, choice):
        wanted = int(choice or 0)
        if not wanted or user is None or not user.is_authenticated:
            return None
        return {
            "label": "Points",
            "amount": Decimal(min(wanted, self.balance)),
            "data": {"points": wanted},
        }

    def apply(self, *, order_id, user_id, amount, data):
        if self.refuse or amount > self.balance:
            raise ApplicationError("Not enough points.", code="points_insufficient")
        self.balance -= int(amount)
        self.applied.append((order_id, amount))
        return {"entry": f"redeem-{order_id}"}

    def release(self, *, order_id, user_id, amount, data, reason):
        self.balance += int(amount)
        self.released.append((order_id, amount, reason))


@pytest.fixture
def points():
    provider = Points()
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, provider):
        yield provider


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=10).variants.get()


@pytest.fixture
def user():
    return UserFactory()


def _place(user, variant, *, points_used: str = "20000", quantity: int = 2) -> Order:
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=quantity, user=user)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        adjustment_choices={"test.points": points_used},
    )


def test_an_adjustment_is_applied_in_the_order_and_carried_in_its_event(points, user, variant):
    # when a member uses 20,000 points on a 200,000 order
    order = _place(user, variant)

    # then the order costs 20,000 less, the provider applied it once, and the
    # line keeps what the provider needs to release it
    assert order.total == Decimal("180000")
    assert order.discount_total == Decimal("20000")
    assert points.applied == [(order.pk, Decimal("20000"))]
    assert points.balance == 30_000
    adjustment = order.adjustments.get()
    assert (adjustment.code, adjustment.label, adjustment.amount) == (
        "test.points",
        "Points",
        Decimal("20000"),
    )
    assert adjustment.data == {"points": 20000, "entry": f"redeem-{order.pk}"}
    payload = OutboxEvent.objects.get(event_type=OrderPlaced.event_type).payload
    assert payload["adjustments"] == [
        {
            "code": "test.points",
            "label": "Points",
            "amount": "20000.00",
            "released_amount": "0.00",
        }
    ]
    assert payload["lines"][0]["quantity"] == 2


def test_a_refused_adjustment_fails_the_checkout_and_keeps_nothing(user, variant):
    # given a provider that refuses (the points were spent meanwhile)
    refusing = Points(refuse=True)
    # when
    with (
        hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, refusing),
        pytest.raises(ApplicationError) as refused,
    ):
        _place(user, variant)

    # then no order, no hold, the cart kept
    assert refused.value.code == "points_insufficient"
    assert not Order.objects.exists()
    assert not OrderAdjustment.objects.exists()
    variant.refresh_from_db()
    assert variant.reserved == 0
    assert cart_for_user(user=user).lines.count() == 1


def test_cancelling_releases_the_adjustment_once(points, user, variant):
    # given an order that used 20,000 points
    order = _place(user, variant)

    # when it is cancelled
    order_cancel(order_id=order.pk)

    # then the points come back once, and the event says so
    assert points.released == [(order.pk, Decimal("20000"), "cancelled")]
    assert points.balance == 50_000
    assert order.adjustments.get().released_amount == Decimal("20000")
    payload = OutboxEvent.objects.get(event_type=OrderCancelled.event_type).payload
    assert payload["adjustments"][0]["released_amount"] == "20000.00"
    # a cancelled order refunded later (money that came back) releases nothing more
    assert len(points.released) == 1


def test_partial_refunds_release_pro_rata_and_never_more_than_was_taken(points, user, variant):
    # given a paid order of 180,000 that used 20,000 points
    order = _place(user, variant)
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")

    # when a quarter of it is refunded, then the rest
    order_refund(order_id=order.pk, amount=Decimal("45000"))
    order_refund(order_id=order.pk)

    # then a quarter of the points came back first, then the remainder
    assert [amount for _, amount, _ in points.released] == [Decimal("5000"), Decimal("15000")]
    assert order.adjustments.get().released_amount == Decimal("20000")
    assert points.balance == 50_000


def test_adjustment_lines_show_on_the_order_page_the_email_and_the_api(
    points, user, variant, client, mailoutbox, django_capture_on_commit_callbacks
):
    # given an order that used points
    with django_capture_on_commit_callbacks(execute=True):
        order = _place(user, variant)

    # then the order page lists them
    client.force_login(user)
    page = client.get(reverse("shop:order_detail", kwargs={"number": order.number}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Points" in body and "20,000" in body

    # and the API
    api = APIClient()
    api.force_authenticate(user)
    data = api.get(f"/api/v1/shop/orders/{order.number}/").json()
    assert data["adjustments"] == [
        {
            "code": "test.points",
            "label": "Points",
            "amount": "20000.00",
            "released_amount": "0.00",
        }
    ]

    # and the order email
    placed = [m for m in mailoutbox if order.number in m.subject]
    assert placed and "Points" in placed[0].body


def test_the_api_checkout_takes_the_shoppers_choice(points, user, variant):
    # given a member's cart
    cart_add(cart=cart_for_user(user=user), variant_id=variant.pk, quantity=1, user=user)
    api = APIClient()
    api.force_authenticate(user)

    # when they check out using 10,000 points
    response = api.post(
        "/api/v1/shop/checkout/",
        {
            "shipping_address": FULL_ADDRESS,
            "payment_gateway": "bank_transfer",
            "adjustments": {"test.points": "10000"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="points-1",
    )

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "90000.00"
    assert response.json()["adjustments"][0]["amount"] == "10000.00"


class AskingPoints(Points):
    """The same provider, asking on the checkout page how many to use."""

    def field(self, *, user, subtotal, choice):
        return {
            "label": "Points to use",
            "help": f"You have {self.balance} points.",
            "type": "number",
            "value": choice if choice != "all" else "",
            "max": self.balance,
            "toggle": {"value": "all", "label": "Use them all", "checked": choice == "all"},
        }

    def quote(self, *, user, subtotal, choice):
        return super().quote(
            user=user, subtotal=subtotal, choice=str(self.balance) if choice == "all" else choice
        )


def test_the_checkout_page_asks_each_provider_with_a_field_for_the_choice(user, variant, client):
    # given a provider that asks, and a member with something in the cart
    provider = AskingPoints()
    cart_add(cart=cart_for_user(user=user), variant_id=variant.pk, quantity=2, user=user)
    client.force_login(user)

    # when
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, provider):
        page = client.get(reverse("shop:checkout"))

    # then its field is in the form, named for its code, refreshing the summary
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="adjustment-test.points"' in body
    assert 'type="number"' in body and 'max="50000"' in body
    assert 'value="all"' in body and "Use them all" in body
    assert "You have 50000 points." in body


def test_a_ticked_toggle_sends_its_value_instead_of_what_was_typed(user, variant, client):
    # given the member typed 1,000 and ticked "use them all"
    provider = AskingPoints()
    cart_add(cart=cart_for_user(user=user), variant_id=variant.pk, quantity=2, user=user)
    client.force_login(user)
    data = {
        "email": user.email,
        **FULL_ADDRESS,
        "payment_method": "bank_transfer",
        "adjustment-test.points": ["1000", "all"],
        "action": "update_summary",
    }

    # when the summary is recomputed
    with hooks.registered(hooks.CHECKOUT_ADJUSTMENTS, provider):
        page = client.post(reverse("shop:checkout"), data)

    # then the whole balance is taken off, and the box stays ticked
    body = page.content.decode()
    assert "50,000" in body
    assert "checked" in body.split('value="all"')[1][:40]
