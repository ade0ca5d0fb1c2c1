"""Request and response examples of the shop API, shown in /api/schema/ and
/api/docs/. Their keys are checked against the real responses in
shop/tests/api/test_schema_examples.py, so an example cannot drift from
what the API answers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

ADDRESS = {
    "full_name": "Siti Rahayu",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Malioboro 12",
    "line2": "",
    "city": "Yogyakarta",
    "region": "DI Yogyakarta",
    "postal_code": "55271",
    "country": "ID",
}

PRODUCT_CARD = {
    "id": 7,
    "slug": "batik-tulis-parang",
    "name": "Batik Tulis Parang",
    "brand": {"name": "Griya Batik", "slug": "griya-batik"},
    "category": {"name": "Batik", "slug": "batik"},
    "min_price": "100000.00",
    "in_stock": True,
    "image": "https://shop.example/media/products/batik-tulis-parang-card.webp",
}

PRODUCT = {
    **PRODUCT_CARD,
    "description": "Hand-drawn *parang* motif on cotton.",
    "description_html": "<p>Hand-drawn <em>parang</em> motif on cotton.</p>",
    "tags": ["batik", "cotton"],
    "variants": [
        {
            "id": 42,
            "sku": "BTK-PRG-M",
            "options": {"Size": "M"},
            "options_label": "M",
            "price": "100000.00",
            "compare_at_price": "125000.00",
            "on_sale": True,
            "available": 8,
            "in_stock": True,
            "stock_label": "In stock",
        }
    ],
    "images": [
        {
            "image": "https://shop.example/media/products/batik-tulis-parang.webp",
            "card": "https://shop.example/media/products/batik-tulis-parang-card.webp",
            "thumb": "https://shop.example/media/products/batik-tulis-parang-thumb.webp",
            "alt_text": "Batik Tulis Parang, folded",
        }
    ],
}

CART = {
    "lines": [
        {
            "id": 301,
            "variant_id": 42,
            "sku": "BTK-PRG-M",
            "product_name": "Batik Tulis Parang",
            "product_slug": "batik-tulis-parang",
            "options_label": "M",
            "quantity": 2,
            "unit_price": "100000.00",
            "line_total": "200000.00",
            "available": 8,
            "buyable": True,
        }
    ],
    "item_count": 2,
    "subtotal": "200000.00",
    "currency": "IDR",
}

CHECKOUT_REQUEST = {
    "shipping_address": ADDRESS,
    "shipping_method_id": 1,
    "payment_gateway": "test_card",
    "coupon_code": "HEMAT10",
    "card_number": "4242424242424242",
    "note": "",
}

BANK_TRANSFER_CHECKOUT_REQUEST = {
    "shipping_address": ADDRESS,
    "shipping_method_id": 1,
    "payment_gateway": "bank_transfer",
}

ORDER = {
    "number": "KP250101-ABC234",
    "status": "paid",
    "email": "siti@example.com",
    "currency": "IDR",
    "subtotal": "200000.00",
    "discount_total": "20000.00",
    "shipping_total": "15000.00",
    "tax_total": "19324.00",
    "total": "195000.00",
    "shipping_method_name": "JNE Reguler",
    "shipping_address": ADDRESS,
    "coupon_code": "HEMAT10",
    "payment_gateway": "test_card",
    "payment": {"gateway": "test_card", "status": "succeeded", "message": ""},
    "reserved_until": "2025-01-01T10:15:00+07:00",
    "paid_at": "2025-01-01T10:00:02+07:00",
    "carrier": "",
    "tracking_number": "",
    "lines": [
        {
            "variant_id": 42,
            "product_name": "Batik Tulis Parang",
            "sku": "BTK-PRG-M",
            "options_label": "M",
            "unit_price": "100000.00",
            "quantity": 2,
            "line_total": "200000.00",
        }
    ],
    "adjustments": [],
    "created_at": "2025-01-01T10:00:00+07:00",
}

PENDING_ORDER = {
    **ORDER,
    "status": "pending_payment",
    "coupon_code": "",
    "discount_total": "0.00",
    "tax_total": "21306.00",
    "total": "215000.00",
    "payment_gateway": "bank_transfer",
    "payment": {"gateway": "bank_transfer", "status": "pending", "message": ""},
    "reserved_until": "2025-01-02T10:00:00+07:00",
    "paid_at": None,
}

ORDER_SUMMARY = {
    "number": "KP250101-ABC234",
    "status": "paid",
    "currency": "IDR",
    "total": "195000.00",
    "item_count": 2,
    "created_at": "2025-01-01T10:00:00+07:00",
}

WISHLIST_ITEM = {"product": PRODUCT_CARD, "created_at": "2025-01-01T09:30:00+07:00"}

SOLD_OUT = {
    "detail": "Sorry, Batik Tulis Parang (M) is sold out.",
    "code": "sold_out",
}


IDEMPOTENCY_KEY_REUSED = {
    "detail": "This Idempotency-Key was already used for a different request; "
    "use a new key for a new checkout.",
    "code": "idempotency_key_reused",
}


def response(name: str, value, *, status: int = 200, summary: str = "") -> OpenApiExample:
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[str(status)], summary=summary
    )


def request(name: str, value, *, summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True, summary=summary)


SOLD_OUT_EXAMPLE = response(
    "Sold out",
    SOLD_OUT,
    status=409,
    summary="Another buyer took the last units; nothing was changed.",
)
