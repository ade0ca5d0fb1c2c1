"""The site's small pieces a visitor sees on every page or stumbles on:
the favicon, the API documentation page under the site's CSP."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def test_api_docs_render_under_the_content_security_policy(page: Page, live_server):
    page.goto(f"{live_server.url}/api/docs/")

    # Swagger UI draws the operations from the schema: the page works, and the
    # browser reported no CSP violation or console error (the autouse watch).
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kampung API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")


def test_a_phone_shows_the_cart_and_its_count_with_the_menu_closed(page: Page, live_server):
    from decimal import Decimal

    from shop.services.catalog import product_refresh
    from shop.tests.factories import ProductFactory, category_create

    product = ProductFactory(
        name="Kopi Gayo", category=category_create("Coffee"), variant__price=Decimal("85000")
    )
    product_refresh(product_id=product.pk)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(live_server.url + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-add-result")).to_contain_text("Added")

    banner = page.get_by_role("banner")
    menu = banner.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    # the menu's other entries stay folded away, the cart does not
    expect(banner.get_by_role("link", name="Shop")).to_be_hidden()
    cart = banner.get_by_role("link", name=re.compile("Cart"))
    expect(cart).to_be_visible()
    expect(cart.locator("#cart-count")).to_have_text("1")
    box, bar = cart.bounding_box(), banner.bounding_box()
    # in the top row, next to the menu button, inside the screen
    toggle = menu.bounding_box()
    assert abs((box["y"] + box["height"] / 2) - (toggle["y"] + toggle["height"] / 2)) < 4
    assert box["x"] + box["width"] <= toggle["x"] <= 390 and box["y"] >= bar["y"]
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "phone-header.png"))

    # opening the menu shows everything, the cart once
    menu.click()
    expect(banner.get_by_role("link", name="Shop")).to_be_visible()
    expect(banner.get_by_role("link", name=re.compile("Cart"))).to_have_count(1)
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "phone-menu-open.png"))


def test_the_price_filter_shows_a_seven_digit_price_whole(page: Page, live_server):
    from decimal import Decimal

    from shop.services.catalog import product_refresh
    from shop.tests.factories import ProductFactory, category_create

    category = category_create("Batik")
    product = ProductFactory(
        name="Batik Tulis", category=category, variant__price=Decimal("950000")
    )
    product_refresh(product_id=product.pk)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(live_server.url + category.get_absolute_url() + "?max_price=1000000")

    for name in ("Min price", "Max price"):
        field = page.get_by_role("spinbutton", name=name)
        field.fill("1000000")
        # the room for text inside the box (no padding, no spin buttons) holds
        # the whole number in the box's own font
        room, text = field.evaluate(
            """input => {
                const style = getComputedStyle(input);
                const probe = document.createElement("span");
                probe.style.font = style.font;
                probe.style.position = "absolute";
                probe.textContent = input.value;
                document.body.append(probe);
                const text = probe.getBoundingClientRect().width;
                probe.remove();
                const spin = style.appearance === "textfield" ? 0 : 16;
                const room = input.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight) - spin;
                return [room, text];
            }"""
        )
        assert text <= room, f"{name}: {text:.0f}px of text in {room:.0f}px"
    if SCREENSHOTS:
        page.locator(".price-range").screenshot(path=str(Path(SCREENSHOTS) / "price-range.png"))


def test_a_members_header_leaves_the_search_a_row_of_its_own_on_a_laptop(page: Page, live_server):
    from django.conf import settings as django_settings
    from django.test import Client

    from accounts.tests.factories import UserFactory

    # given a signed-in member: points, cart, notifications and their menu in the header
    member = UserFactory(display_name="Siti Rahma")
    client = Client()
    client.force_login(member)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 800})

    # when
    page.goto(live_server.url + "/")

    # then the search is wide enough to read what one types
    search = page.get_by_role("searchbox", name="Search")
    expect(page.get_by_role("banner").get_by_text("Siti Rahma")).to_be_visible()
    assert search.bounding_box()["width"] >= 400
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "member-header.png"))
