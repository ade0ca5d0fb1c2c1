from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import Decimal


class InvalidWebhook(Exception):
    """Bad signature or unreadable body: answered with 400, nothing changes."""


@dataclass(frozen=True)
class PaymentResult:
    """What `start` tells the checkout: paid now, declined, or wait
    (bank transfer instructions, a redirect, or a webhook to come)."""

    status: str  # "succeeded" | "failed" | "pending"
    reference: str = ""
    message: str = ""
    redirect_url: str = ""
    instructions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookNotice:
    event_id: str
    order_number: str
    status: str  # "succeeded" | "failed"
    reference: str
    amount: Decimal


class PaymentGateway:
    """Implement `start` and, for gateways that call back, `parse_webhook`.

    A real gateway (Stripe, Midtrans, Xendit) is a subclass in its own module:
    `start` creates the charge or payment page with the gateway's API and
    returns PaymentResult(status="pending", redirect_url=...); `parse_webhook`
    verifies the gateway's signature header and maps its payload to a
    WebhookNotice. Add its import path to settings.SHOP_PAYMENT_GATEWAYS; the
    webhook URL is /shop/payments/<code>/webhook/."""

    code: str = ""
    name: str = ""
    description: str = ""
    # How long an unpaid order holds its stock.
    reservation_minutes: int = 15
    # Does the checkout form ask for card details?
    collects_card: bool = False

    def start(self, *, order, data: dict) -> PaymentResult:
        raise NotImplementedError

    def parse_webhook(self, *, body: bytes, headers) -> WebhookNotice:
        raise InvalidWebhook("This gateway does not accept webhooks.")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, signature: str) -> bool:
    """An empty secret verifies nothing: anyone can compute an HMAC with an
    empty key, so it would accept every forged notification."""
    if not secret or not secret.strip() or not signature:
        return False
    return hmac.compare_digest(sign(secret, body), signature)
