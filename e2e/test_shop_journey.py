"""A shopper in Chromium: the product page's variant picker, add to cart with
htmx and the header's count, the cart; the back-in-stock form for a sold-out
option; a signed-in shopper's wishlist button and one-click alert.

The page cache is on, as in production: the anonymous journey is served
stored pages with their per-visitor holes filled."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from shop.models import CartLine, StockAlert, WishlistItem
from shop.services.catalog import product_refresh
from shop.tests.factories import ProductFactory, UserFactory, VariantFactory, category_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Set E2E_SCREENSHOTS=/some/dir to keep pictures of the pages a journey sees.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def header(page: Page):
    return page.get_by_role("banner")


def cart_count(page: Page):
    return header(page).locator("#cart-count")


def pick(page: Page, product, size: str) -> None:
    variant = product.variants.get(options__Size=size)
    page.get_by_label("Option").select_option(value=str(variant.pk))


def shirt_with_sizes():
    """Three sizes at different prices; XL is sold out."""
    product = ProductFactory(
        name="Batik Parang Shirt",
        category=category_create("Batik"),
        description="Hand-drawn **parang** pattern on cotton.",
        variant__price=Decimal("150000"),
        variant__stock=8,
    )
    product.variants.update(options={"Size": "M"})
    VariantFactory(product=product, options={"Size": "L"}, price=Decimal("175000"), stock=20)
    VariantFactory(product=product, options={"Size": "XL"}, price=Decimal("190000"), stock=0)
    product_refresh(product_id=product.pk)
    return product


def sold_out_sarong():
    product = ProductFactory(
        name="Songket Sarong", category=category_create("Batik"), variant__stock=0
    )
    product_refresh(product_id=product.pk)
    return product


def test_shopper_picks_a_size_adds_to_cart_and_changes_the_quantity(page: Page, live_server):
    base = live_server.url
    product = shirt_with_sizes()

    # given a cookieless visitor on the product page (a stored page the
    # second time round)
    page.goto(base + product.get_absolute_url())
    page.goto(base + product.get_absolute_url())
    price = page.locator("[data-variant-price]")
    add = page.get_by_role("button", name="Add to cart")
    expect(price).to_have_text(re.compile(r"150,000"))
    expect(cart_count(page)).to_have_count(0)
    expect(page.locator("[data-stock-alert]")).to_be_hidden()
    screenshot(page, "product-anonymous")

    # when they pick size L, the price and the stock line follow
    pick(page, product, "L")
    expect(price).to_have_text(re.compile(r"175,000"))
    expect(page.locator("[data-variant-stock]")).to_have_text("In stock")
    expect(add).to_be_enabled()

    # and add two to the cart, the page stays and the header counts them
    page.get_by_label("Quantity").fill("2")
    add.click()
    result = page.locator("#cart-add-result")
    expect(result).to_contain_text("Added")
    expect(cart_count(page)).to_have_text("2")
    expect(cart_count(page)).to_be_visible()
    assert page.url == base + product.get_absolute_url()
    screenshot(page, "product-added")

    # then the count survives a reload of the (stored) page
    page.reload()
    expect(cart_count(page)).to_have_text("2")
    expect(cart_count(page)).to_be_visible()

    # when they open the cart and change the quantity
    header(page).get_by_role("link", name=re.compile("Cart")).click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    panel = page.locator("#cart-panel")
    expect(panel).to_contain_text("Batik Parang Shirt")
    expect(panel).to_contain_text("L")
    panel.get_by_label("Quantity of Batik Parang Shirt").fill("3")
    panel.get_by_role("button", name="Update").click()

    # then the cart shows the new quantity and subtotal
    expect(panel).to_contain_text("Your cart was updated.")
    expect(panel).to_contain_text("3 items")
    expect(panel).to_contain_text("525,000")
    # and the header's badge follows the change made on the cart page
    expect(cart_count(page)).to_have_text("3")


def test_sold_out_size_offers_the_back_in_stock_form(page: Page, live_server):
    base = live_server.url
    product = shirt_with_sizes()
    xl = product.variants.get(options__Size="XL")

    # given the product page, its in-stock size picked
    page.goto(base + product.get_absolute_url())
    alert = page.locator("[data-stock-alert]")
    add = page.get_by_role("button", name="Add to cart")
    expect(alert).to_be_hidden()

    # when the shopper picks the sold-out XL
    pick(page, product, "XL")

    # then adding is off and the alert form asks for an email
    expect(page.locator("[data-variant-stock]")).to_have_text("Sold out")
    expect(add).to_be_disabled()
    expect(alert).to_be_visible()
    expect(alert.get_by_role("heading")).to_have_text("Email me when it's back")
    screenshot(page, "product-sold-out-option")

    # and back to M hides it again
    pick(page, product, "M")
    expect(alert).to_be_hidden()
    expect(add).to_be_enabled()

    # when they pick XL again and leave their address
    pick(page, product, "XL")
    alert.get_by_label("Email").fill("fan@example.com")
    alert.get_by_role("button", name="Notify me").click()

    # then they are back on the product, asked to confirm from their inbox
    # (nobody can subscribe a stranger's address)
    expect(page.get_by_role("status").or_(page.locator(".message-success"))).to_contain_text(
        "Check your inbox: follow the link we sent to turn the alert on."
    )
    assert page.url == base + product.get_absolute_url()
    alert_row = StockAlert.objects.get()
    assert (alert_row.variant_id, alert_row.email) == (xl.pk, "fan@example.com")
    assert alert_row.confirmed_at is None


def _sign_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_signed_in_shopper_saves_to_wishlist_and_asks_for_an_alert(page: Page, live_server):
    base = live_server.url
    product = sold_out_sarong()
    user = UserFactory(email="dewi@example.com", display_name="Dewi")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    _sign_in(page, live_server, user)

    # given the sold-out product: adding is off, the alert for their verified
    # address is one click
    page.goto(base + product.get_absolute_url())
    expect(page.get_by_role("button", name="Add to cart")).to_be_disabled()
    alert = page.locator("[data-stock-alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("dewi@example.com")
    expect(alert.get_by_label("Email")).to_have_count(0)

    # when they save it to their wishlist (htmx swaps the button in place)
    page.get_by_role("button", name="Save to wishlist").click()

    # then the button says so, and the wishlist has it
    saved = page.get_by_role("button", name=re.compile(r"^Saved"))
    expect(saved).to_be_visible()
    assert WishlistItem.objects.filter(user=user, product=product).exists()
    screenshot(page, "product-signed-in-saved")

    # when they ask for the alert
    alert.get_by_role("button", name="Email me when it's back").click()

    # then the page says they are on the list, and the alert is theirs
    expect(page.locator("[data-stock-alert-done]")).to_be_visible()
    expect(alert.get_by_role("button", name="Email me when it's back")).to_be_hidden()
    assert StockAlert.objects.get().user == user

    # when they unsave it
    page.get_by_role("button", name=re.compile(r"^Saved")).click()
    expect(page.get_by_role("button", name="Save to wishlist")).to_be_visible()
    assert not WishlistItem.objects.exists()


def test_anonymous_save_to_wishlist_leads_to_login_and_back(page: Page, live_server):
    base = live_server.url
    product = shirt_with_sizes()

    page.goto(base + product.get_absolute_url())
    page.get_by_role("link", name="Save to wishlist").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=.*" + re.escape(product.slug)))


def test_a_refused_quantity_on_the_cart_page_shows_why_and_keeps_the_page(
    page: Page, live_server, browser_problems
):
    base = live_server.url
    product = ProductFactory(name="Kopi Gayo", category=category_create("Coffee"), variant__stock=5)
    product_refresh(product_id=product.pk)
    # the refusal is a 400 on purpose
    browser_problems.allow(r"/cart/lines/\d+/ answered 40[09]|status of 40[09]")

    # given the coffee in the cart
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-add-result")).to_contain_text("Added")
    page.goto(base + "/shop/cart/")
    panel = page.locator("#cart-panel")
    expect(panel).to_contain_text("Kopi Gayo")

    quantity = panel.get_by_label("Quantity of Kopi Gayo")
    for asked, reason in (("150", "between 1 and 99"), ("9", "5")):
        # when the shopper asks for more than the limit (the browser's own
        # max check bypassed, as an old page or another client would), then
        # for more than there is
        quantity.evaluate("i => i.removeAttribute('max')")
        quantity.fill(asked)
        panel.get_by_role("button", name="Update").click()

        # then the reason shows in the cart, and the page stays whole and styled
        expect(panel.get_by_role("alert")).to_contain_text(reason)
        expect(header(page)).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
        expect(page.locator("#cart-panel")).to_have_count(1)
        expect(page.locator("footer.site-footer")).to_have_count(1)
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
        # and the quantity was not changed
        expect(quantity).to_have_value("1")
        assert CartLine.objects.get(variant=product.variants.get()).quantity == 1

    screenshot(page, "cart-refused")
