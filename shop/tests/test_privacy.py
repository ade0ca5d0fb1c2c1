"""The shop's part of "download my data" and account deletion (shop.privacy)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from shop import privacy
from shop.models import (
    Address,
    Cart,
    CartLine,
    Coupon,
    CouponRedemption,
    Order,
    OrderLine,
    Payment,
    StockAlert,
    WishlistItem,
)
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

SHIPPING_ADDRESS = {
    "full_name": "Sari Wulandari",
    "phone": "+62 812 1111 2222",
    "line1": "Jl. Kenanga 7",
    "line2": "RT 02 / RW 05",
    "city": "Yogyakarta",
    "region": "DI Yogyakarta",
    "postal_code": "55281",
    "country": "ID",
}


def _order(*, user, number: str, email: str | None = None, lines: int = 2) -> Order:
    order = Order.objects.create(
        number=number,
        user=user,
        email=email or user.email,
        status=Order.Status.PAID,
        currency="IDR",
        subtotal=Decimal("100000") * lines,
        shipping_total=Decimal("15000"),
        tax_total=Decimal("9910"),
        total=Decimal("100000") * lines + Decimal("15000"),
        shipping_method_name="JNE Reguler",
        shipping_address=SHIPPING_ADDRESS,
        payment_gateway="test_card",
        payment_reference=f"tc_{number}",
        note="Leave it with Pak Budi next door, 0812 3333 4444.",
        idempotency_key=f"key-{number}",
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_name=f"Batik {i}",
            sku=f"BTK-{number}-{i}",
            options_label="M",
            unit_price=Decimal("50000"),
            quantity=2,
            line_total=Decimal("100000"),
        )
        for i in range(lines)
    )
    Payment.objects.create(
        order=order,
        gateway="test_card",
        reference=f"tc_{number}",
        amount=order.total,
        status=Payment.Status.SUCCEEDED,
    )
    return order


@pytest.fixture
def shopper():
    """A shopper with everything the shop keeps about a person."""
    user = UserFactory(email="sari@example.com")
    variant = ProductFactory(name="Kopi Gayo", variant__stock=0).variants.get()
    Address.objects.create(user=user, is_default=True, **SHIPPING_ADDRESS)
    WishlistItem.objects.create(user=user, product=variant.product)
    StockAlert.objects.create(user=user, email=user.email, variant=variant)
    cart = Cart.objects.create(user=user)
    CartLine.objects.create(cart=cart, variant=variant, quantity=1)
    return user


def _export_queries(user) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        section, data = privacy.user_data_export(user)
        json.dumps(data)  # JSON-able as it is, without DjangoJSONEncoder
    assert section == "shop"
    return data, len(queries)


# --- export ----------------------------------------------------------------


def test_download_my_data_includes_all_ten_orders_with_their_lines(client, shopper):
    # given
    for i in range(10):
        _order(user=shopper, number=f"KP-{i:02}", lines=3)
    client.force_login(shopper)

    # when
    response = client.get(reverse("accounts:export"))

    # then
    assert response.status_code == 200
    orders = json.loads(response.content)["shop"]["orders"]
    assert [o["number"] for o in orders] == [f"KP-{i:02}" for i in range(10)]
    first = orders[0]
    assert first["total"] == "315000.00"
    assert first["shipping_address"]["full_name"] == "Sari Wulandari"
    assert first["note"].startswith("Leave it with")
    assert [line["sku"] for line in first["lines"]] == ["BTK-KP-00-0", "BTK-KP-00-1", "BTK-KP-00-2"]
    assert first["lines"][0] == {
        "product": "Batik 0",
        "sku": "BTK-KP-00-0",
        "options": "M",
        "unit_price": "50000.00",
        "quantity": 2,
        "line_total": "100000.00",
    }
    assert first["payments"][0]["status"] == "succeeded"
    assert "reference" not in first["payments"][0]


def test_export_costs_the_same_queries_for_ten_orders_as_for_one(shopper):
    # given
    _order(user=shopper, number="KP-ONE")
    _, one_order = _export_queries(shopper)
    for i in range(9):
        _order(user=shopper, number=f"KP-{i}", lines=4)

    # when
    data, ten_orders = _export_queries(shopper)

    # then: one query per relation, never one per order
    assert len(data["orders"]) == 10
    assert sum(len(o["lines"]) for o in data["orders"]) == 2 + 9 * 4
    assert ten_orders == one_order
    assert ten_orders <= 9


def test_export_lists_addresses_wishlist_stock_alerts_and_cart(shopper):
    # when
    data, _ = _export_queries(shopper)

    # then
    assert data["addresses"][0]["line1"] == "Jl. Kenanga 7"
    assert data["addresses"][0]["is_default"] is True
    assert data["wishlist"][0]["product"] == "Kopi Gayo"
    assert data["stock_alerts"][0]["email"] == "sari@example.com"
    assert data["stock_alerts"][0]["notified_at"] is None
    assert data["cart"][0]["product"] == "Kopi Gayo"
    assert data["cart"][0]["quantity"] == 1


def test_export_holds_nothing_of_other_shoppers_or_guests(shopper):
    # given
    other = UserFactory(email="budi@example.com")
    _order(user=other, number="KP-BUDI")
    _order(user=None, number="KP-GUEST", email="sari@example.com")
    Address.objects.create(user=other, **{**SHIPPING_ADDRESS, "line1": "Jl. Lain 1"})

    # when
    data, _ = _export_queries(shopper)

    # then: a guest order with the same email is not proven to be hers
    assert data["orders"] == []
    assert [a["line1"] for a in data["addresses"]] == ["Jl. Kenanga 7"]


def test_export_of_a_shopper_with_nothing_is_empty_lists():
    # when
    data, _ = _export_queries(UserFactory())

    # then
    assert data == {
        "orders": [],
        "addresses": [],
        "wishlist": [],
        "stock_alerts": [],
        "cart": [],
    }


# --- deletion ----------------------------------------------------------------


def test_deleting_the_account_keeps_orders_for_the_books_without_personal_data(shopper):
    # given
    coupon = Coupon.objects.create(code="HEMAT10", kind="percent", value=Decimal("10"))
    orders = [_order(user=shopper, number=f"KP-{i}") for i in range(3)]
    CouponRedemption.objects.create(
        coupon=coupon, order=orders[0], email=shopper.email, user=shopper
    )

    # when
    account_services.user_delete(user=shopper)

    # then
    shopper.refresh_from_db()
    kept = Order.objects.filter(user=shopper).order_by("number")
    assert [o.number for o in kept] == ["KP-0", "KP-1", "KP-2"]
    for order in kept:
        assert order.total == Decimal("215000")
        assert order.tax_total == Decimal("9910")
        assert order.status == Order.Status.PAID
        assert order.lines.count() == 2
        assert order.payments.get().amount == Decimal("215000")
        assert order.email == shopper.email
        assert order.email.endswith("@deleted.invalid")
        assert order.note == ""
        assert order.shipping_address == {
            "full_name": "",
            "phone": "",
            "line1": "",
            "line2": "",
            "city": "Yogyakarta",
            "region": "DI Yogyakarta",
            "postal_code": "55281",
            "country": "ID",
        }
    assert CouponRedemption.objects.get().email == shopper.email
    assert not Address.objects.filter(user=shopper).exists()
    assert not StockAlert.objects.filter(user=shopper).exists()
    assert not WishlistItem.objects.filter(user=shopper).exists()
    assert not Cart.objects.filter(user=shopper).exists()
    assert not CartLine.objects.exists()
    assert not Order.objects.filter(email="sari@example.com").exists()
    assert not Order.objects.filter(note__contains="Budi").exists()


def test_deletion_leaves_guest_orders_with_the_same_email_and_other_shoppers_alone(shopper):
    # given
    other = UserFactory(email="budi@example.com")
    _order(user=other, number="KP-BUDI")
    _order(user=None, number="KP-GUEST", email="sari@example.com")
    Address.objects.create(user=other, **SHIPPING_ADDRESS)
    guest_variant = ProductFactory(variant__stock=0).variants.get()
    StockAlert.objects.create(user=None, email="sari@example.com", variant=guest_variant)

    # when
    account_services.user_delete(user=shopper)

    # then
    guest = Order.objects.get(number="KP-GUEST")
    assert guest.email == "sari@example.com"
    assert guest.shipping_address["full_name"] == "Sari Wulandari"
    budi = Order.objects.get(number="KP-BUDI")
    assert (budi.email, budi.note) == ("budi@example.com", _order_note())
    assert Address.objects.filter(user=other).exists()
    assert StockAlert.objects.filter(user=None, email="sari@example.com").exists()


def _order_note() -> str:
    return "Leave it with Pak Budi next door, 0812 3333 4444."


def test_anonymising_twice_changes_nothing_more(shopper):
    # given
    _order(user=shopper, number="KP-1")
    account_services.user_delete(user=shopper)
    shopper.refresh_from_db()
    before = Order.objects.values().get()

    # when
    privacy.user_anonymise(shopper)

    # then
    after = Order.objects.values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_the_deleted_shoppers_export_holds_no_personal_data(shopper):
    # given
    _order(user=shopper, number="KP-1")
    account_services.user_delete(user=shopper)
    shopper.refresh_from_db()

    # when
    data, _ = _export_queries(shopper)

    # then
    body = json.dumps(data)
    for personal in ("sari@example.com", "Sari Wulandari", "Kenanga", "0812", "Budi"):
        assert personal not in body
    assert data["orders"][0]["total"] == "215000.00"
