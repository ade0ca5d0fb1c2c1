"""Deploy checks for the shop's settings (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

TEST_CARD_GATEWAY = "shop.payments.test_card.TestCardGateway"
# The local default, printed in the source: never a production secret.
PUBLIC_TEST_SECRET = "test-gateway-secret"  # noqa: S105


@register(Tags.security, deploy=True)
def check_test_card_gateway(app_configs=None, **kwargs):
    if TEST_CARD_GATEWAY not in settings.SHOP_PAYMENT_GATEWAYS:
        return []
    secret = getattr(settings, "SHOP_TEST_GATEWAY_SECRET", "")
    if not secret or secret == PUBLIC_TEST_SECRET or len(secret) < 32:
        return [
            Error(
                "The test card gateway is enabled with a missing, public or short webhook secret: "
                "anyone could sign a webhook that marks an order paid.",
                hint="Remove it from SHOP_PAYMENT_GATEWAYS, or set SHOP_TEST_GATEWAY_SECRET "
                "to a random string of 32 or more characters.",
                id="shop.E001",
            )
        ]
    return [
        Warning(
            "The test card gateway is enabled: shoppers can pay with made-up card numbers.",
            hint="Keep it for demo shops only.",
            id="shop.W001",
        )
    ]
