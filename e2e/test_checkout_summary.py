"""A guest at checkout in Chromium: the summary follows the shipping method
and the coupon as they change (htmx), the order is placed at the total last
shown; without JavaScript, "Update summary" does the same after a submit."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from shop.models import Order, ShippingMethod
from shop.payments.test_card import SUCCESS
from shop.services.catalog import product_refresh
from shop.tests.factories import (
    FULL_ADDRESS,
    CouponFactory,
    ProductFactory,
    ShippingMethodFactory,
    category_create,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
NBSP = "\N{NO-BREAK SPACE}"


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def shop():
    product = ProductFactory(
        name="Tenun Ikat Sumba",
        category=category_create("Weaving"),
        variant__price=Decimal("653000"),
        variant__stock=10,
    )
    product_refresh(product_id=product.pk)
    regular = ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"), position=0)
    free = ShippingMethodFactory(
        name="JNE YES",
        kind=ShippingMethod.Kind.FREE_OVER,
        price=Decimal("25000"),
        free_over=Decimal("500000"),
        description="1-2 working days.",
        position=1,
    )
    CouponFactory(code="HEMAT25K", kind="fixed", value=Decimal("25000"))
    return product, regular, free


def _to_checkout(page: Page, base: str, product) -> None:
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("banner").locator("#cart-count")).to_have_text("1")
    page.goto(base + reverse("shop:checkout"))


def _fill_details(page: Page) -> None:
    page.get_by_label("Email").fill("siti@example.com")
    for name, value in FULL_ADDRESS.items():
        if value:
            page.locator(f"[name={name}]").fill(value)


def total(page: Page):
    return page.locator('#checkout-summary [data-summary="total"]')


def test_summary_follows_shipping_and_coupon_and_the_order_is_placed_at_it(
    page: Page, live_server, shop
):
    product, regular, free = shop
    _to_checkout(page, live_server.url, product)

    # given the checkout: the cheapest method that ships (free) is preselected
    expect(page.locator(f"#shipping-{free.pk}")).to_be_checked()
    expect(total(page)).to_have_text(f"Rp{NBSP}653,000")
    expect(page.locator("#shipping-errors")).to_be_empty()
    label = page.locator(f"label[for=shipping-{free.pk}]")
    expect(label).to_contain_text(f"Free for orders from Rp{NBSP}500,000.")
    assert label.inner_text().count("500,000") == 1
    _fill_details(page)
    screenshot(page, "checkout-summary-first")

    # when the shopper picks JNE Reguler, the summary follows without a reload
    page.evaluate("window.notReloaded = true")
    page.locator(f"#shipping-{regular.pk}").check()
    expect(total(page)).to_have_text(f"Rp{NBSP}671,000")
    expect(page.locator("#checkout-summary")).to_contain_text("Shipping (JNE Reguler)")

    # and back to free shipping
    page.locator(f"#shipping-{free.pk}").check()
    expect(total(page)).to_have_text(f"Rp{NBSP}653,000")

    # when they apply a coupon
    page.get_by_label("Coupon code").fill("hemat25k")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#checkout-summary")).to_contain_text("Coupon HEMAT25K applied.")
    expect(total(page)).to_have_text(f"Rp{NBSP}628,000")
    assert page.evaluate("window.notReloaded") is True
    shown = total(page).inner_text()
    screenshot(page, "checkout-summary-coupon")

    # and place the order, paying by card
    page.locator("#payment-test_card").check()
    page.get_by_label("Card number").fill(SUCCESS)
    page.get_by_role("button", name="Place order").click()

    # then the order's total is the total last shown
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    order = Order.objects.get()
    assert order.total == Decimal("628000")
    assert shown == f"Rp{NBSP}{order.total:,.0f}"
    assert order.shipping_method == free
    expect(page.locator("body")).to_contain_text("628,000")


def test_without_javascript_the_summary_follows_the_choice_after_a_submit(
    browser, live_server, shop
):
    product, regular, free = shop
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _to_checkout(page, live_server.url, product)
        expect(page.locator(f"#shipping-{free.pk}")).to_be_checked()
        expect(total(page)).to_have_text(f"Rp{NBSP}653,000")
        _fill_details(page)
        page.get_by_label("Note for the seller").fill("Wrap it, please")

        # when the shopper picks JNE Reguler and submits "Update summary"
        page.locator(f"#shipping-{regular.pk}").check()
        page.get_by_role("button", name="Update summary").first.click()

        # then the page shows the summary for it, with what they typed
        expect(total(page)).to_have_text(f"Rp{NBSP}671,000")
        expect(page.locator(f"#shipping-{regular.pk}")).to_be_checked()
        expect(page.get_by_label("Email")).to_have_value("siti@example.com")
        expect(page.get_by_label("Note for the seller")).to_have_value("Wrap it, please")
        screenshot(page, "checkout-summary-nojs")

        # when they switch back and place the order with the street left empty
        page.locator(f"#shipping-{free.pk}").check()
        page.locator("[name=line1]").fill("")
        page.get_by_role("button", name="Place order").click()

        # then it is refused, and the summary follows the choice all the same
        expect(page.locator("#checkout-form")).to_contain_text("This field is required.")
        expect(total(page)).to_have_text(f"Rp{NBSP}653,000")
        expect(page.get_by_label("Note for the seller")).to_have_value("Wrap it, please")
        assert not Order.objects.exists()
        assert re.search(r"/checkout/$", page.url)
    finally:
        context.close()
