"""A member's points in Chromium: they buy, the order is delivered, the
points wait out the return window (pending), become available, are spent at
the next checkout, and the header's balance follows every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from e2e.test_checkout_summary import screenshot
from loyalty.models import EarningRule, ProgramSettings
from loyalty.services.ledger import points_release_due
from loyalty.services.rules import earning_rules_ensure
from shop.models import Order
from shop.payments.test_card import SUCCESS
from shop.services.catalog import product_refresh
from shop.services.orders import order_fulfil, order_mark_delivered
from shop.tests.factories import FULL_ADDRESS, ProductFactory, ShippingMethodFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NBSP = "\N{NO-BREAK SPACE}"


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _header(page: Page):
    return page.get_by_role("banner")


def _buy(page: Page, base: str, product, *, points: str | None = None, expected_total="") -> None:
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(_header(page).locator("#cart-count")).to_have_text("1")
    page.goto(base + reverse("shop:checkout"))
    for name, value in FULL_ADDRESS.items():
        if value:
            page.locator(f"[name={name}]").fill(value)
    if points is not None:
        page.get_by_role("spinbutton", name="Points to use").fill(points)
        page.keyboard.press("Tab")  # htmx asks for the summary on change
        expect(page.locator('#checkout-summary [data-summary="total"]')).to_have_text(
            expected_total
        )
    page.locator("#payment-test_card").check()
    page.get_by_label("Card number").fill(SUCCESS)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()


def test_points_earned_on_an_order_are_spent_on_the_next_and_the_header_follows(
    page: Page, live_server
):
    # given: 1 point per Rp 1,000 spent, points worth Rp 100 each
    earning_rules_ensure()
    EarningRule.objects.filter(code="purchase").update(points_per_unit=Decimal("0.001"))
    EarningRule.objects.filter(code="daily_visit").update(enabled=False)  # round figures
    program = ProgramSettings.current()
    program.point_value = Decimal("100")
    program.return_window_days = 14
    program.save()
    product = ProductFactory(name="Tenun Ikat Sumba", variant__price=Decimal("1500000"))
    product_refresh(product_id=product.pk)
    ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"))
    member = UserFactory(email="sari@example.com")
    _sign_in(page, live_server, member)
    page.goto(live_server.url + reverse("loyalty:index"))
    expect(_header(page)).to_contain_text("0 points")

    # when: the member buys (Rp 1,500,000 earns 1,500 points, pending;
    # shipping earns none)
    _buy(page, live_server.url, product)
    order = Order.objects.get(user=member)
    page.goto(live_server.url + reverse("loyalty:index"))

    # then: pending, not yet spendable
    expect(page.locator("main")).to_contain_text("1,500")
    expect(page.locator("main")).to_contain_text("pending")
    expect(_header(page)).to_contain_text("0 points")
    screenshot(page, "loyalty-pending")

    # when: the order is shipped and delivered, and the return window passes
    order_fulfil(order_id=order.pk, carrier="JNE", tracking_number="JNE123")
    order_mark_delivered(order_id=order.pk)
    assert points_release_due(now=timezone.now() + dt.timedelta(days=13)) == 0
    assert points_release_due(now=timezone.now() + dt.timedelta(days=15)) == 1
    page.goto(live_server.url + reverse("loyalty:index"))

    # then: the points are available, and the header says so
    expect(_header(page)).to_contain_text("1,500 points")
    screenshot(page, "loyalty-available")

    # when: 1,000 of them pay part of the next order (Rp 100,000 off)
    _buy(page, live_server.url, product, points="1000", expected_total=f"Rp{NBSP}1,418,000")

    # then: the order carries the discount, and the header the rest (the
    # new order's 1,400 points are pending)
    second = Order.objects.filter(user=member).latest("created_at")
    assert second.total == Decimal("1500000") + Decimal("18000") - Decimal("100000")
    expect(page.locator("body")).to_contain_text(f"Rp{NBSP}1,418,000")
    page.goto(live_server.url + reverse("loyalty:history"))
    expect(_header(page)).to_contain_text("500 points")
    expect(page.locator("main")).to_contain_text("-1,000")
    expect(page.locator("main")).to_contain_text("Earned · Purchase")
    screenshot(page, "loyalty-spent")
