"""Payment gateways behind one interface. settings.SHOP_PAYMENT_GATEWAYS
lists the enabled ones by import path; a real gateway (Stripe, Midtrans,
Xendit) is one module implementing PaymentGateway (see base.py)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from shop.payments.base import PaymentGateway


@cache
def _gateways() -> dict[str, PaymentGateway]:
    gateways = {}
    for path in settings.SHOP_PAYMENT_GATEWAYS:
        gateway = import_string(path)()
        gateways[gateway.code] = gateway
    return gateways


def all_gateways() -> list[PaymentGateway]:
    return list(_gateways().values())


def get_gateway(code: str) -> PaymentGateway:
    gateway = _gateways().get(code or "")
    if gateway is None:
        raise ApplicationError(
            _("Choose an available payment method."), code="payment_method_invalid"
        )
    return gateway


def store_currency() -> str:
    return settings.STORE_CURRENCY
