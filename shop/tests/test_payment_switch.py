"""Paying an unpaid order another way after a card decline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from shop.models import Order, OrderHistory, Variant
from shop.payments.test_card import DECLINE, DELAYED, SUCCESS
from shop.services.orders import (
    order_switch_payment_gateway,
    payment_start,
    payment_webhook_handle,
)
from shop.tests.factories import ProductFactory, card_webhook, order_place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


def _declined(client, variant) -> Order:
    order = order_place(variant)
    session = client.session
    session["shop_orders"] = [order.number]
    session.save()
    payment_start(order=order, data={"card_number": DECLINE})
    return order


def test_the_pay_page_offers_the_other_gateways_after_a_decline(client, variant):
    # given
    order = _declined(client, variant)

    # when
    response = client.get(reverse("shop:order_pay", args=[order.number]))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="action" value="switch_gateway"' in html
    assert 'value="bank_transfer"' in html
    assert 'id="switch-test_card"' not in html


def test_a_declined_card_order_switches_to_bank_transfer(client, variant):
    # given an order whose card was declined; its stock is held 15 minutes
    order = _declined(client, variant)
    created = order.created_at

    # when the shopper chooses bank transfer on the pay page
    response = client.post(
        reverse("shop:order_pay", args=[order.number]),
        {"action": "switch_gateway", "payment_method": "bank_transfer"},
    )

    # then the order waits for a transfer, held as long as a transfer order
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:checkout_complete", args=[order.number])
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.payment_gateway == "bank_transfer"
    assert order.reserved_until == created + timedelta(hours=24)
    assert variant.reserved == 2
    assert sorted(order.payments.values_list("gateway", "status")) == [
        ("bank_transfer", "pending"),
        ("test_card", "failed"),
    ]
    # the history says so
    note = order.history.order_by("pk").last().note
    assert note == "Payment method changed from Card (test mode) to Bank transfer"
    # and the next page shows where to transfer the money
    page = client.get(response["Location"])
    assert "123 456 7890" in page.content.decode()


def test_a_guest_with_the_email_link_can_switch_the_gateway(variant):
    from shop.services.orders_claim import order_access_path

    # given a declined card order opened from its email link, in a fresh browser
    order = order_place(variant)
    payment_start(order=order, data={"card_number": DECLINE})
    key = order_access_path(order=order).split("key=")[1]
    pay_url = reverse("shop:order_pay", args=[order.number])
    browser = Client()

    # when
    response = browser.post(
        f"{pay_url}?key={key}", {"action": "switch_gateway", "payment_method": "bank_transfer"}
    )

    # then the shopper lands on the order with the key kept
    assert response.status_code == 302
    assert response["Location"].endswith("?" + urlencode({"key": key}))
    assert browser.get(response["Location"]).status_code == 200
    order.refresh_from_db()
    assert order.payment_gateway == "bank_transfer"


def test_switching_to_an_unknown_gateway_changes_nothing(client, variant):
    # given
    order = _declined(client, variant)
    history = OrderHistory.objects.filter(order=order).count()

    # when
    response = client.post(
        reverse("shop:order_pay", args=[order.number]),
        {"action": "switch_gateway", "payment_method": "cash"},
    )

    # then
    assert response.status_code == 400
    assert "Choose an available payment method." in response.content.decode()
    order.refresh_from_db()
    assert order.payment_gateway == "test_card"
    assert OrderHistory.objects.filter(order=order).count() == history


def test_a_card_payment_awaiting_confirmation_cannot_be_switched(variant):
    # given a card payment the bank is still confirming
    order = order_place(variant)
    payment_start(order=order, data={"card_number": DELAYED})

    # when / then
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        order_switch_payment_gateway(order_id=order.pk, gateway_code="bank_transfer")
    assert refused.value.code == "payment_in_progress"
    order.refresh_from_db()
    assert order.payment_gateway == "test_card"


def test_a_paid_order_cannot_be_switched(variant):
    from core.exceptions import ApplicationError

    # given
    order = order_place(variant)
    payment_start(order=order, data={"card_number": SUCCESS})

    # when / then
    with pytest.raises(ApplicationError) as refused:
        order_switch_payment_gateway(order_id=order.pk, gateway_code="bank_transfer")
    assert refused.value.code == "not_payable"
    order.refresh_from_db()
    assert order.payment_gateway == "test_card"


def test_switching_back_and_forth_never_stretches_the_hold(variant):
    # given a card order switched to bank transfer: held 24 hours from placing
    order = order_place(variant)
    order = order_switch_payment_gateway(order_id=order.pk, gateway_code="bank_transfer")
    hold = order.reserved_until
    assert hold == order.created_at + timedelta(hours=24)

    # when the shopper switches to card and back again
    order_switch_payment_gateway(order_id=order.pk, gateway_code="test_card")
    order = order_switch_payment_gateway(order_id=order.pk, gateway_code="bank_transfer")

    # then the hold is where it was, and each switch is in the history
    assert order.reserved_until == hold
    notes = list(order.history.order_by("pk").values_list("note", flat=True))
    assert notes[-3:] == [
        "Payment method changed from Card (test mode) to Bank transfer",
        "Payment method changed from Bank transfer to Card (test mode)",
        "Payment method changed from Card (test mode) to Bank transfer",
    ]


def test_after_switching_the_old_gateways_webhook_cannot_pay(variant):
    # given a declined card order switched to bank transfer
    order = order_place(variant)
    declined = payment_start(order=order, data={"card_number": DECLINE})
    order_switch_payment_gateway(order_id=order.pk, gateway_code="bank_transfer")

    # when a card webhook for the declined reference says it succeeded
    body, headers = card_webhook(order, reference=declined.reference)
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert outcome == "ignored"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
