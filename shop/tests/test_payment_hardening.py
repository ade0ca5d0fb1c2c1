"""Webhooks that must not pay: one gateway's notice for another gateway's
order, and any notice while the test card gateway has no secret."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from core.models import OutboxEvent
from shop.events import OrderPaid
from shop.models import Order, Payment, Variant, WebhookReceipt
from shop.payments.base import InvalidWebhook, sign, signature_valid
from shop.payments.test_card import DELAYED, TestCardGateway
from shop.services.orders import (
    order_cancel,
    payment_start,
    payment_webhook_handle,
)
from shop.tests.factories import ProductFactory, card_webhook, order_place

pytestmark = pytest.mark.django_db

WEBHOOK = "/shop/payments/test_card/webhook/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def variant() -> Variant:
    return ProductFactory(variant__price=Decimal("100000"), variant__stock=5).variants.get()


def _state(order: Order, variant: Variant):
    order.refresh_from_db()
    variant.refresh_from_db()
    return (
        order.status,
        order.payment_reference,
        order.refund_due,
        variant.stock,
        variant.reserved,
        sorted(Payment.objects.filter(order=order).values_list("gateway", "status")),
        OutboxEvent.objects.filter(event_type=OrderPaid.event_type).count(),
    )


def test_a_card_webhook_cannot_pay_a_bank_transfer_order(variant):
    # given a bank transfer order waiting for its money
    order = order_place(variant, gateway="bank_transfer")
    payment_start(order=order, data={})
    before = _state(order, variant)

    # when a correctly signed card webhook claims it was paid
    body, headers = card_webhook(order)
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then it is ignored, recorded as such, and nothing moved
    assert outcome == "ignored"
    assert _state(order, variant) == before
    assert before[0] == "pending_payment" and before[4] == 2
    receipt = WebhookReceipt.objects.get()
    assert receipt.gateway == "test_card"
    assert receipt.payload["outcome"] == "ignored"
    assert receipt.payload["reason"] == "gateway_mismatch"
    # and a replay of it stays a duplicate
    assert payment_webhook_handle(gateway_code="test_card", body=body, headers=headers) == (
        "duplicate"
    )


def test_a_card_webhook_records_no_late_payment_on_a_cancelled_bank_transfer_order(variant):
    # given a cancelled bank transfer order
    order = order_place(variant, gateway="bank_transfer")
    order_cancel(order_id=order.pk)
    before = _state(order, variant)

    # when a card webhook says money arrived for it
    body, headers = card_webhook(order)
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then no refund is flagged and no payment is invented
    assert outcome == "ignored"
    assert _state(order, variant) == before
    assert before[2] == 0


def test_the_webhook_endpoint_answers_ignored_for_another_gateways_order(client, variant):
    # given
    order = order_place(variant, gateway="bank_transfer")
    body, headers = card_webhook(order)

    # when
    response = client.post(
        WEBHOOK,
        body,
        content_type="application/json",
        headers=headers,
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_card_webhook_still_pays_its_own_gateways_order(variant):
    # given a card payment waiting for its bank
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})

    # when its webhook arrives
    body, headers = card_webhook(order, reference=result.reference)
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert outcome == "processed"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_secret_refuses_every_webhook(settings, variant, secret):
    # given a test card gateway without a secret, and a webhook anyone
    # could sign with that empty key
    settings.SHOP_TEST_GATEWAY_SECRET = secret
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    body, headers = card_webhook(order, reference=result.reference, secret=secret)
    before = _state(order, variant)

    # when / then
    with pytest.raises(InvalidWebhook):
        TestCardGateway().parse_webhook(body=body, headers=headers)
    with pytest.raises(InvalidWebhook):
        payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)
    assert _state(order, variant) == before
    assert not WebhookReceipt.objects.exists()


def test_the_webhook_endpoint_is_400_without_a_secret(settings, client, variant):
    # given
    settings.SHOP_TEST_GATEWAY_SECRET = ""
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    body, headers = card_webhook(order, reference=result.reference, secret="")

    # when
    response = client.post(WEBHOOK, body, content_type="application/json", headers=headers)

    # then
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_signature_check_refuses_an_empty_secret():
    body = b'{"id": "evt_1"}'
    assert not signature_valid("", body, sign("", body))
    assert signature_valid("s3cret", body, sign("s3cret", body))
