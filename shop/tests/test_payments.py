from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import translation

from core.models import OutboxEvent
from shop.events import OrderPaid
from shop.models import Order, Payment, Variant, WebhookReceipt
from shop.payments import get_gateway
from shop.payments.base import InvalidWebhook
from shop.payments.test_card import DECLINE, DELAYED, SIGNATURE_HEADER, SUCCESS, TestCardGateway
from shop.services.orders import payment_start, payment_webhook_handle
from shop.tests.factories import ProductFactory, card_webhook, order_place

pytestmark = pytest.mark.django_db


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
        variant.stock,
        variant.reserved,
        list(Payment.objects.values_list("status", flat=True)),
        OutboxEvent.objects.filter(event_type=OrderPaid.event_type).count(),
    )


def test_test_card_success_pays_the_order_at_once(variant):
    # given
    order = order_place(variant)

    # when
    result = payment_start(order=order, data={"card_number": "4242 4242 4242 4242"})

    # then
    assert result.status == "succeeded"
    assert _state(order, variant) == ("paid", 3, 0, ["succeeded"], 1)
    assert order.payment_reference == result.reference
    assert Payment.objects.get().amount == order.total


def test_declined_card_leaves_the_order_pending_with_its_hold(variant):
    # given
    order = order_place(variant)

    # when
    result = payment_start(order=order, data={"card_number": DECLINE})

    # then
    assert (result.status, result.message) == ("failed", "Your card was declined.")
    assert _state(order, variant) == ("pending_payment", 5, 2, ["failed"], 0)


def test_an_unknown_card_number_is_declined_with_a_hint(variant):
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": "1234"})
    assert (result.status, result.message) == ("failed", "Check the card number and try again.")
    assert _state(order, variant)[0] == "pending_payment"


def test_a_paid_order_cannot_be_charged_again(variant):
    # given
    order = order_place(variant)
    payment_start(order=order, data={"card_number": SUCCESS})

    # when / then
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        payment_start(order=order, data={"card_number": SUCCESS})
    assert refused.value.status_code == 409
    assert Payment.objects.count() == 1


def test_delayed_card_is_paid_by_its_signed_webhook(variant):
    # given
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    assert result.status == "pending"
    assert _state(order, variant) == ("pending_payment", 5, 2, ["pending"], 0)

    # when
    outcome = payment_webhook_handle(
        gateway_code="test_card",
        body=(hook := card_webhook(order, result.reference))[0],
        headers=hook[1],
    )

    # then
    assert outcome == "processed"
    assert _state(order, variant) == ("paid", 3, 0, ["succeeded"], 1)
    assert order.payment_reference == result.reference


def test_a_failed_webhook_marks_the_payment_failed_and_leaves_the_order_pending(variant):
    # given
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})

    # when
    body, headers = card_webhook(order, result.reference, status="failed")
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert outcome == "processed"
    assert _state(order, variant) == ("pending_payment", 5, 2, ["failed"], 0)


@pytest.mark.parametrize(
    "headers",
    [{}, {SIGNATURE_HEADER: ""}, {SIGNATURE_HEADER: "0" * 64}, {"X-Other": "abc"}],
)
def test_a_bad_signature_is_refused_and_changes_nothing(variant, headers):
    # given
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    body, _good = card_webhook(order, result.reference)

    # when
    with pytest.raises(InvalidWebhook):
        payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert _state(order, variant) == ("pending_payment", 5, 2, ["pending"], 0)
    assert not WebhookReceipt.objects.exists()


def test_a_body_changed_after_signing_is_refused(variant):
    # given an attacker lowers the amount of a validly signed body
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    body, headers = card_webhook(order, result.reference)
    tampered = body.replace(str(order.total).encode(), b"1")

    # when / then
    with pytest.raises(InvalidWebhook):
        payment_webhook_handle(gateway_code="test_card", body=tampered, headers=headers)
    assert _state(order, variant)[0] == "pending_payment"


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"id": "x", "order": "y"}'])
def test_a_signed_but_unreadable_body_is_refused(variant, body):
    order_place(variant)
    headers = {SIGNATURE_HEADER: TestCardGateway.signature(body)}
    with pytest.raises(InvalidWebhook):
        payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)
    assert not WebhookReceipt.objects.exists()


def test_a_replayed_webhook_is_a_duplicate_and_changes_nothing(variant):
    # given a webhook that already paid the order
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})
    body, headers = card_webhook(order, result.reference)
    payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)
    before = _state(order, variant)
    history = order.history.count()

    # when the gateway sends it again
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert outcome == "duplicate"
    assert _state(order, variant) == before
    assert order.history.count() == history
    assert WebhookReceipt.objects.count() == 1


def test_a_webhook_with_the_wrong_amount_is_ignored(variant):
    # given
    order = order_place(variant)
    result = payment_start(order=order, data={"card_number": DELAYED})

    # when
    body, headers = card_webhook(order, result.reference, amount=Decimal("1000"))
    outcome = payment_webhook_handle(gateway_code="test_card", body=body, headers=headers)

    # then
    assert outcome == "ignored"
    assert _state(order, variant) == ("pending_payment", 5, 2, ["pending"], 0)


def test_a_webhook_for_an_unknown_order_is_ignored(variant):
    order = order_place(variant)
    body = json.dumps(
        {"id": "evt_1", "order": "NOPE", "reference": "r", "amount": "1", "status": "succeeded"}
    ).encode()
    headers = {SIGNATURE_HEADER: TestCardGateway.signature(body)}
    assert payment_webhook_handle(gateway_code="test_card", body=body, headers=headers) == (
        "ignored"
    )
    assert _state(order, variant)[0] == "pending_payment"


def test_bank_transfer_gives_instructions_and_leaves_the_order_pending(settings, variant):
    # given
    order = order_place(variant, gateway="bank_transfer")

    # when
    result = payment_start(order=order, data={})

    # then
    assert result.status == "pending"
    assert result.instructions == {
        "bank": settings.SHOP_BANK_ACCOUNT["bank"],
        "account_name": settings.SHOP_BANK_ACCOUNT["account_name"],
        "account_number": settings.SHOP_BANK_ACCOUNT["account_number"],
        "amount": str(order.total),
        "reference": order.number,
    }
    assert _state(order, variant) == ("pending_payment", 5, 2, ["pending"], 0)


def test_bank_transfer_accepts_no_webhooks(variant):
    with pytest.raises(InvalidWebhook):
        get_gateway("bank_transfer").parse_webhook(body=b"{}", headers={})
