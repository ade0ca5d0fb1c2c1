from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.money import quantize
from shop.payments.base import PaymentGateway, PaymentResult


def transfer_instructions(order) -> dict:
    """How to pay an order that waits for a bank transfer: the shop's account
    (settings.SHOP_BANK_ACCOUNT), the exact amount, the reference (the order
    number) and the deadline (`reserved_until`). Empty for any other order.
    The confirmation page and the order email both show these."""
    if order.status != "pending_payment" or order.payment_gateway != BankTransferGateway.code:
        return {}
    account = settings.SHOP_BANK_ACCOUNT
    return {
        "bank": account["bank"],
        "account_name": account["account_name"],
        "account_number": account["account_number"],
        "amount": order.total,
        "reference": order.number,
        "deadline": order.reserved_until,
    }


class BankTransferGateway(PaymentGateway):
    """The shopper transfers the total; staff confirm it in the admin
    ("Mark as paid"), which commits the held stock."""

    code = "bank_transfer"
    name = _("Bank transfer")
    description = _("Transfer the total to our bank account; we ship once it arrives.")
    reservation_minutes = 24 * 60

    def start(self, *, order, data: dict) -> PaymentResult:
        return PaymentResult(
            status="pending",
            instructions={
                "bank": settings.SHOP_BANK_ACCOUNT["bank"],
                "account_name": settings.SHOP_BANK_ACCOUNT["account_name"],
                "account_number": settings.SHOP_BANK_ACCOUNT["account_number"],
                # In the currency's unit: "200000" for rupiah, not "200000.00".
                "amount": str(quantize(order.total, order.currency)),
                "reference": order.number,
            },
        )
