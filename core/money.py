"""Money is Decimal, in the one store currency (settings.STORE_CURRENCY).
Formatting follows the active language: Rp 1.250.000 in Indonesian,
Rp 1,250,000 in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.formats import number_format

# symbol, decimal places (ISO 4217 minor units as shops actually price)
CURRENCIES: dict[str, tuple[str, int]] = {
    "IDR": ("Rp", 0),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "SGD": ("S$", 2),
    "MYR": ("RM", 2),
}


def currency_places(currency: str | None = None) -> int:
    return CURRENCIES.get(currency or settings.STORE_CURRENCY, ("", 2))[1]


def quantize(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round to the currency's smallest unit, half up (as a cashier would)."""
    exponent = Decimal(1).scaleb(-currency_places(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int | str, currency: str | None = None) -> str:
    currency = currency or settings.STORE_CURRENCY
    symbol, places = CURRENCIES.get(currency, (currency, 2))
    value = quantize(Decimal(amount), currency)
    sign = "-" if value < 0 else ""
    text = number_format(abs(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{sign}{symbol}\N{NO-BREAK SPACE}{text}"
