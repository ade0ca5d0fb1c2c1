from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from core.money import format_money, quantize


def test_rupiah_is_grouped_with_dots_in_indonesian_and_commas_in_english(settings):
    # given
    settings.STORE_CURRENCY = "IDR"
    amount = Decimal("1250000")

    # when
    with translation.override("id"):
        indonesian = format_money(amount)
    with translation.override("en"):
        english = format_money(amount)

    # then
    assert indonesian == "Rp\N{NO-BREAK SPACE}1.250.000"
    assert english == "Rp\N{NO-BREAK SPACE}1,250,000"


def test_two_decimal_currency_keeps_cents_with_the_locale_separator():
    with translation.override("id"):
        assert format_money(Decimal("1234.5"), "USD") == "$\N{NO-BREAK SPACE}1.234,50"
    with translation.override("en"):
        assert format_money(Decimal("-1234.5"), "USD") == "-$\N{NO-BREAK SPACE}1,234.50"


def test_quantize_rounds_half_up_to_the_currency_unit():
    assert quantize(Decimal("999.5"), "IDR") == Decimal("1000")
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
