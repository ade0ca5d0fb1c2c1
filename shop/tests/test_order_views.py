from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Address, CartLine, Order
from shop.services.cart import cart_add, cart_for_session, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_mark_paid
from shop.services.orders_claim import order_access_path
from shop.tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Budi",
    "phone": "0812",
    "line1": "Jl. Kenanga 3",
    "city": "Bandung",
    "postal_code": "40111",
}


def _variant(stock=10, price="50000"):
    return ProductFactory(variant__stock=stock, variant__price=Decimal(price)).variants.get()


def _order(user=None, email="buyer@example.com", variants=None, quantity=1):
    cart = cart_for_user(user=user) if user else cart_for_session(session_key=email)
    for variant in variants or [_variant()]:
        cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email if user else email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )


def test_order_history_lists_only_my_orders(client):
    # given
    me, other = UserFactory(), UserFactory()
    mine = _order(user=me)
    theirs = _order(user=other)
    client.force_login(me)

    # when
    response = client.get(reverse("shop:order_list"))

    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.number in body
    assert theirs.number not in body


def test_order_history_needs_a_login(client):
    # when
    response = client.get(reverse("shop:order_list"))

    # then
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_order_history_query_count_does_not_grow_with_orders(client):
    # given
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        _order(user=user, variants=[_variant(), _variant()])
    client.get(reverse("shop:order_list"))
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("shop:order_list"))
    for _ in range(8):
        _order(user=user, variants=[_variant(), _variant()])

    # when
    with CaptureQueriesContext(connection) as ten:
        response = client.get(reverse("shop:order_list"))

    # then
    assert len(response.context["orders"]) == 10
    assert len(ten) == len(two)


def test_order_history_is_paginated(client):
    # given
    user = UserFactory()
    client.force_login(user)
    for _ in range(12):
        _order(user=user)

    # when
    second = client.get(reverse("shop:order_list"), {"page": 2})

    # then
    assert len(second.context["orders"]) == 2


def test_order_detail_shows_lines_totals_history_and_instructions(client, settings):
    # given
    user = UserFactory()
    order = _order(user=user)
    client.force_login(user)

    # when
    response = client.get(reverse("shop:order_detail", args=[order.number]))

    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert order.lines.get().product_name in body
    assert "Order placed" in body
    assert settings.SHOP_BANK_ACCOUNT["account_number"] in body


def test_paid_order_shows_no_transfer_instructions(client, settings):
    # given
    user = UserFactory()
    order = _order(user=user)
    order_mark_paid(order_id=order.pk, payment_reference="manual")
    client.force_login(user)

    # when
    response = client.get(reverse("shop:order_detail", args=[order.number]))

    # then
    assert settings.SHOP_BANK_ACCOUNT["account_number"] not in response.content.decode()
    assert "Payment received" in response.content.decode()


def test_someone_elses_order_is_not_found(client):
    # given
    other_order = _order(user=UserFactory())
    guest_order = _order(email="guest@example.com")
    client.force_login(UserFactory())

    # when
    responses = [
        client.get(reverse("shop:order_detail", args=[other_order.number])),
        client.get(reverse("shop:order_detail", args=[guest_order.number])),
        client.post(reverse("shop:order_reorder", args=[other_order.number])),
        client.get(reverse("shop:order_detail", args=["NOPE"])),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert not CartLine.objects.exists()


def test_guest_opens_the_order_with_its_signed_link(client):
    # given
    order = _order(email="guest@example.com")

    # when
    signed = client.get(order_access_path(order=order))
    forged = client.get(reverse("shop:order_detail", args=[order.number]), {"key": "forged:token"})
    other_orders_key = client.get(
        reverse("shop:order_detail", args=[_order(email="x@example.com").number]),
        {"key": order_access_path(order=order).split("key=")[1]},
    )

    # then
    assert signed.status_code == 200
    assert order.number in signed.content.decode()
    assert forged.status_code == 404
    assert other_orders_key.status_code == 404


def test_reorder_puts_still_available_items_in_the_cart(client):
    # given
    user = UserFactory()
    available, gone = _variant(stock=10), _variant(stock=10)
    order = _order(user=user, variants=[available, gone], quantity=2)
    order_mark_paid(order_id=order.pk, payment_reference="r1")
    gone.is_active = False
    gone.save()
    client.force_login(user)

    # when
    response = client.post(reverse("shop:order_reorder", args=[order.number]), follow=True)

    # then
    lines = CartLine.objects.filter(cart__user=user)
    assert [(line.variant_id, line.quantity) for line in lines] == [(available.pk, 2)]
    assert "No longer available" in response.content.decode()


def test_address_book_add_edit_default_delete(client):
    # given
    user = UserFactory()
    client.force_login(user)
    data = {**ADDRESS, "line2": "", "region": "", "country": "ID"}

    # when
    client.post(reverse("shop:address_create"), data)
    client.post(reverse("shop:address_create"), {**data, "city": "Bogor"})
    first, second = Address.objects.order_by("pk")
    client.post(reverse("shop:address_edit", args=[second.pk]), {**data, "city": "Depok"})
    client.post(reverse("shop:address_default", args=[second.pk]))
    client.post(reverse("shop:address_delete", args=[first.pk]))

    # then
    remaining = Address.objects.get()
    assert (remaining.city, remaining.is_default) == ("Depok", True)
    assert "Depok" in client.get(reverse("shop:address_list")).content.decode()


def test_someone_elses_address_is_not_found(client):
    # given
    theirs = Address.objects.create(user=UserFactory(), **ADDRESS)
    client.force_login(UserFactory())

    # when
    responses = [
        client.get(reverse("shop:address_edit", args=[theirs.pk])),
        client.post(reverse("shop:address_edit", args=[theirs.pk]), {**ADDRESS, "city": "X"}),
        client.post(reverse("shop:address_delete", args=[theirs.pk])),
        client.post(reverse("shop:address_default", args=[theirs.pk])),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    theirs.refresh_from_db()
    assert theirs.city == "Bandung"
    assert not theirs.is_default


def test_incomplete_address_is_refused(client):
    # given
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("shop:address_create"), {"full_name": "Budi"})

    # then
    assert response.status_code == 400
    assert not Address.objects.exists()


def test_orders_are_ordered_newest_first(client):
    # given
    user = UserFactory()
    old, new = _order(user=user), _order(user=user)
    client.force_login(user)

    # when
    orders = client.get(reverse("shop:order_list")).context["orders"]

    # then
    assert [o.number for o in orders] == [new.number, old.number]
    assert Order.objects.count() == 2
