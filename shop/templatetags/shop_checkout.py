from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str | None = None) -> str:
    """{{ order.total|money:order.currency }}; the store currency by default."""
    if amount is None or amount == "":
        return ""
    try:
        return format_money(Decimal(str(amount)), currency or None)
    except (InvalidOperation, ValueError):
        return ""
