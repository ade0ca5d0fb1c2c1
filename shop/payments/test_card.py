"""A card gateway for demos and tests. Card numbers decide the outcome:

4242 4242 4242 4242  paid at once
4000 0000 0000 0002  declined
4000 0000 0000 3220  accepted, confirmed later by a signed webhook
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shop.payments.base import (
    InvalidWebhook,
    PaymentGateway,
    PaymentResult,
    WebhookNotice,
    sign,
    signature_valid,
)

SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"
DELAYED = "4000000000003220"
SIGNATURE_HEADER = "X-Test-Gateway-Signature"


class TestCardGateway(PaymentGateway):
    code = "test_card"
    name = gettext_lazy("Card (test mode)")
    description = gettext_lazy("Use 4242 4242 4242 4242 to pay; no real money moves.")
    collects_card = True

    def start(self, *, order, data: dict) -> PaymentResult:
        number = "".join(ch for ch in str(data.get("card_number", "")) if ch.isdigit())
        reference = f"tc_{secrets.token_hex(8)}"
        if number == SUCCESS:
            return PaymentResult(status="succeeded", reference=reference)
        if number == DELAYED:
            return PaymentResult(
                status="pending",
                reference=reference,
                message=_("Your bank is confirming the payment; we will email you."),
            )
        if number == DECLINE:
            return PaymentResult(
                status="failed", reference=reference, message=_("Your card was declined.")
            )
        return PaymentResult(
            status="failed", reference=reference, message=_("Check the card number and try again.")
        )

    @staticmethod
    def webhook_body(*, order_number: str, reference: str, amount: Decimal, status: str) -> bytes:
        return json.dumps(
            {
                "id": f"evt_{secrets.token_hex(8)}",
                "order": order_number,
                "reference": reference,
                "amount": str(amount),
                "status": status,
            }
        ).encode()

    @staticmethod
    def signature(body: bytes) -> str:
        return sign(settings.SHOP_TEST_GATEWAY_SECRET, body)

    def parse_webhook(self, *, body: bytes, headers) -> WebhookNotice:
        secret = settings.SHOP_TEST_GATEWAY_SECRET or ""
        if not secret.strip():
            # Production's default: without a secret of its own, the gateway
            # takes no webhook at all rather than one anybody could sign.
            raise InvalidWebhook("no webhook secret configured")
        if not signature_valid(secret, body, headers.get(SIGNATURE_HEADER, "")):
            raise InvalidWebhook("bad signature")
        try:
            data = json.loads(body)
            return WebhookNotice(
                event_id=str(data["id"]),
                order_number=str(data["order"]),
                status="succeeded" if data["status"] == "succeeded" else "failed",
                reference=str(data["reference"]),
                amount=Decimal(str(data["amount"])),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise InvalidWebhook("unreadable body") from exc
