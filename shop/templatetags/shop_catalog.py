"""Template helpers for the storefront: `money` and the JSON-LD block."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.money import format_money, quantize

register = template.Library()

# As Django's json_script: nothing in the data can close the <script> element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

SCHEMA_IN_STOCK = "https://schema.org/InStock"
SCHEMA_OUT_OF_STOCK = "https://schema.org/OutOfStock"


@register.filter
def money(amount, currency: str | None = None) -> str:
    """{{ product.min_price|money }}: the store currency, formatted for the language."""
    if amount is None or amount == "":
        return ""
    try:
        return format_money(Decimal(str(amount)), currency or None)
    except (InvalidOperation, ValueError):
        return ""


def _price(amount: Decimal) -> str:
    return str(quantize(amount))


def product_structured_data(*, product, variants, images, url: str, request) -> dict:
    """schema.org Product with its Offer (one variant) or AggregateOffer."""
    currency = settings.STORE_CURRENCY
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "url": url,
    }
    description = product.seo_description or product.description
    if description:
        data["description"] = description[:5000]
    if images:
        data["image"] = [request.build_absolute_uri(image.image.url) for image in images]
    if product.brand_id:
        data["brand"] = {"@type": "Brand", "name": product.brand.name}
    if product.category_id:
        data["category"] = product.category.name
    offers = [
        {
            "@type": "Offer",
            "sku": variant.sku,
            "name": variant.options_label or product.name,
            "price": _price(variant.price),
            "priceCurrency": currency,
            "availability": SCHEMA_IN_STOCK if variant.available > 0 else SCHEMA_OUT_OF_STOCK,
            "url": url,
        }
        for variant in variants
    ]
    rating = _aggregate_rating(product)
    if rating:
        data["aggregateRating"] = rating
    if len(offers) == 1:
        data["sku"] = offers[0]["sku"]
        data["offers"] = offers[0]
    elif offers:
        prices = [variant.price for variant in variants]
        data["offers"] = {
            "@type": "AggregateOffer",
            "lowPrice": _price(min(prices)),
            "highPrice": _price(max(prices)),
            "priceCurrency": currency,
            "offerCount": len(offers),
            "availability": SCHEMA_IN_STOCK
            if any(v.available > 0 for v in variants)
            else SCHEMA_OUT_OF_STOCK,
            "offers": offers,
        }
    return data


def _aggregate_rating(product) -> dict | None:
    """schema.org AggregateRating from the `rating_avg` / `rating_count` a
    rating provider puts on the product (shop.selectors.product_with_ratings);
    None without a provider or without reviews."""
    count = getattr(product, "rating_count", None)
    average = getattr(product, "rating_avg", None)
    if not count or average is None:
        return None
    return {
        "@type": "AggregateRating",
        "ratingValue": round(float(average), 1),
        "reviewCount": int(count),
    }


@register.simple_tag(takes_context=True)
def product_jsonld(context, product, variants, images, url: str) -> SafeString:
    """<script type="application/ld+json"> with the page's CSP nonce."""
    data = product_structured_data(
        product=product, variants=variants, images=images, url=url, request=context["request"]
    )
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _JSON_SCRIPT_ESCAPES
    )
    return format_html(
        '<script type="application/ld+json" nonce="{}">{}</script>',
        context.get("csp_nonce", ""),
        mark_safe(payload),  # escaped above exactly as json_script does
    )
