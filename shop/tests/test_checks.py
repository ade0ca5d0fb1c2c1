from __future__ import annotations

import pytest

from shop.checks import TEST_CARD_GATEWAY, check_test_card_gateway

BANK = "shop.payments.bank_transfer.BankTransferGateway"


def test_bank_transfer_only_passes(settings):
    settings.SHOP_PAYMENT_GATEWAYS = [BANK]

    assert check_test_card_gateway() == []


@pytest.mark.parametrize("secret", ["", "test-gateway-secret", "short"])
def test_test_card_with_a_guessable_secret_is_an_error(settings, secret):
    settings.SHOP_PAYMENT_GATEWAYS = [BANK, TEST_CARD_GATEWAY]
    settings.SHOP_TEST_GATEWAY_SECRET = secret

    assert [m.id for m in check_test_card_gateway()] == ["shop.E001"]


def test_test_card_with_its_own_secret_is_a_warning(settings):
    settings.SHOP_PAYMENT_GATEWAYS = [BANK, TEST_CARD_GATEWAY]
    settings.SHOP_TEST_GATEWAY_SECRET = "x" * 40

    assert [m.id for m in check_test_card_gateway()] == ["shop.W001"]


def test_production_settings_default_to_bank_transfer_only():
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SHOP_PAYMENT_GATEWAYS, repr(settings.SHOP_TEST_GATEWAY_SECRET))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout

    assert out.strip() == f"[{BANK!r}] ''"


def test_the_search_threshold_is_a_connection_option_on_postgresql(postgres_required):
    from django.conf import settings as django_settings

    from shop import selectors

    default = django_settings.DATABASES["default"]
    assert selectors.TRIGRAM_CONNECTION_OPTION in default["OPTIONS"]["options"]


def test_ids_in_templates_are_never_grouped():
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("id"):
        rendered = Template('<input value="{{ pk }}">').render(Context({"pk": 1112}))

    assert rendered == '<input value="1112">'


def test_dates_read_alike_in_english_and_indonesian():
    from datetime import datetime

    from django.utils import formats, translation

    moment = datetime(2026, 11, 23, 19, 28)
    with translation.override("en"):
        english = formats.date_format(moment, "DATETIME_FORMAT")
        short = formats.date_format(moment, "SHORT_DATE_FORMAT")
    with translation.override("id"):
        indonesian = formats.date_format(moment, "DATETIME_FORMAT")

    assert english == "23 November 2026, 19:28"
    assert short == "23 Nov 2026"
    assert indonesian == "23 November 2026, 19.28"
