"""A shopper reading the shop in Bahasa Indonesia sees the catalogue in it:
category, product, description and tag, and finds it by an Indonesian word,
typo included. The language switcher in the footer takes them there."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_indonesian_shop_shows_and_finds_indonesian_text(page: Page, live_server):
    from shop.models import Category
    from shop.services.catalog import localized, product_create

    category = Category.objects.add_root(
        {localized("name"): "Shirts", localized("name", "id"): "Kemeja", "slug": "shirts"}
    )
    product = product_create(
        name="Hand-drawn batik shirt",
        description="Drawn by hand in **Solo**.",
        category=category,
        price=Decimal("250000"),
        sku="SHIRT-1",
        stock=5,
        is_published=True,
        tags=["cotton"],
        translations={
            "id": {"name": "Kemeja batik tulis", "description": "Digambar tangan di **Solo**."}
        },
        tag_translations={"id": ["katun"]},
    )

    page.goto(live_server.url + product.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Hand-drawn batik shirt")
    page.locator("select[name=language]").select_option("id")
    page.wait_for_url("**/id/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kemeja batik tulis")
    expect(page.get_by_text("Digambar tangan di")).to_be_visible()
    expect(page.get_by_role("link", name="katun")).to_be_visible()
    expect(page.locator("nav.breadcrumbs, .breadcrumbs").first).to_contain_text("Kemeja")

    # a typo of an Indonesian word, in the header's search box
    search = page.get_by_role("banner").get_by_role("searchbox")
    search.fill("kemja tulis")
    search.press("Enter")
    expect(page.get_by_text("kemeja tulis")).to_be_visible()
    expect(page.get_by_role("link", name="Kemeja batik tulis").first).to_be_visible()
