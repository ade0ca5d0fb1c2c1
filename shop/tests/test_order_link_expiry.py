"""A guest order's emailed link opens the order for SHOP_ORDER_LINK_MAX_AGE_DAYS;
past that it explains how to see the order instead."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from shop.models import CartLine
from shop.services.orders_claim import order_access_path
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory, UserFactory, order_place

pytestmark = pytest.mark.django_db

DAY = 86400


def _order(user=None):
    variant = ProductFactory(variant__stock=10, variant__price=Decimal("50000")).variants.get()
    return order_place(variant, "bank_transfer", user=user, quantity=1)


def _link_made_days_ago(monkeypatch, order, days: float) -> str:
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: now - days * DAY)
        return order_access_path(order=order)


def test_a_400_day_old_link_is_refused_with_an_explanation(monkeypatch):
    # given
    order = _order()
    link = _link_made_days_ago(monkeypatch, order, 400)

    # when
    response = Client().get(link)

    # then
    body = response.content.decode()
    assert response.status_code == 410
    assert "This order link has expired" in body
    assert order.number in body
    assert reverse("account_login") in body
    assert CHECKOUT_ADDRESS["line1"] not in body
    assert order.email not in body


def test_a_link_within_its_age_opens_the_order(monkeypatch):
    # given
    order = _order()
    link = _link_made_days_ago(monkeypatch, order, 89)

    # when
    response = Client().get(link)

    # then
    assert response.status_code == 200
    assert CHECKOUT_ADDRESS["line1"] in response.content.decode()


def test_the_links_age_is_configurable(monkeypatch, settings):
    # given
    settings.SHOP_ORDER_LINK_MAX_AGE_DAYS = 7
    order = _order()

    # when
    fresh = Client().get(_link_made_days_ago(monkeypatch, order, 6))
    old = Client().get(_link_made_days_ago(monkeypatch, order, 8))

    # then
    assert (fresh.status_code, old.status_code) == (200, 410)


def test_another_orders_or_a_forged_key_is_still_a_plain_404():
    # given
    order, other = _order(), _order()
    others_key = order_access_path(order=other).split("key=", 1)[1]
    url = reverse("shop:order_detail", kwargs={"number": order.number})

    # when
    responses = [Client().get(f"{url}?key={others_key}"), Client().get(f"{url}?key=forged")]

    # then
    assert [r.status_code for r in responses] == [404, 404]


def test_the_signed_in_owner_sees_the_order_whatever_the_links_age(monkeypatch):
    # given
    owner = UserFactory()
    order = _order(user=owner)
    link = _link_made_days_ago(monkeypatch, order, 400)
    client = Client()
    client.force_login(owner)

    # when
    response = client.get(link)

    # then
    assert response.status_code == 200


def test_ordering_again_through_an_expired_link_adds_nothing(monkeypatch):
    # given
    order = _order()
    key = _link_made_days_ago(monkeypatch, order, 400).split("key=", 1)[1]
    client = Client()

    # when
    response = client.post(
        reverse("shop:order_reorder", kwargs={"number": order.number}) + f"?key={key}"
    )

    # then
    assert response.status_code == 410
    assert not CartLine.objects.filter(cart__session_key=client.session.session_key).exists()


def test_the_pay_page_through_an_expired_link_explains_too(monkeypatch):
    # given
    order = _order()
    key = _link_made_days_ago(monkeypatch, order, 400).split("key=", 1)[1]

    # when
    response = Client().get(
        reverse("shop:order_pay", kwargs={"number": order.number}) + f"?key={key}"
    )

    # then
    assert response.status_code == 410
    assert "This order link has expired" in response.content.decode()
