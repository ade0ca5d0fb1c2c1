from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.models import ProductImage
from shop.tests.factories import ProductFactory, VariantFactory, category_create

pytestmark = pytest.mark.django_db


def _jsonld(html: str) -> dict:
    match = re.search(
        r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S
    )
    assert match, "no JSON-LD block with a nonce"
    return json.loads(match.group(1))


def test_product_page_has_canonical_description_and_opengraph(client):
    # given
    product = ProductFactory(
        name="Batik Tulis Shirt", seo_description="Hand-drawn batik shirt from Cirebon."
    )
    ProductImage.objects.create(product=product, image="products/1/large.webp", card="c.webp")

    # when
    html = client.get(product.get_absolute_url()).content.decode()

    # then
    url = f"http://testserver{product.get_absolute_url()}"
    assert f'<link rel="canonical" href="{url}">' in html
    assert '<meta name="description" content="Hand-drawn batik shirt from Cirebon.">' in html
    assert '<meta property="og:type" content="product">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:image" content="http://testserver/' in html
    assert '<meta property="product:price:currency" content="IDR">' in html


def test_meta_description_falls_back_to_the_plain_description(client):
    product = ProductFactory(description="**Bold** words. " + "Long text " * 40)

    html = client.get(product.get_absolute_url()).content.decode()

    description = re.search(r'<meta name="description" content="([^"]*)">', html).group(1)
    assert description.startswith("Bold words.")
    assert "<strong>" not in description and "**" not in description
    assert len(description) <= 160


def test_jsonld_product_offer_has_price_currency_and_availability(client):
    product = ProductFactory(variant__price=Decimal("125000"), variant__stock=4)

    data = _jsonld(client.get(product.get_absolute_url()).content.decode())

    assert data["@type"] == "Product"
    assert data["name"] == product.name
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["price"] == "125000"
    assert data["offers"]["priceCurrency"] == "IDR"
    assert data["offers"]["availability"] == "https://schema.org/InStock"


def test_jsonld_aggregates_variant_offers_and_sold_out(client):
    product = ProductFactory(variant__price=Decimal("100000"), variant__stock=0)
    VariantFactory(product=product, price=Decimal("150000"), stock=0, options={"Size": "L"})

    data = _jsonld(client.get(product.get_absolute_url()).content.decode())

    assert data["offers"]["@type"] == "AggregateOffer"
    assert (data["offers"]["lowPrice"], data["offers"]["highPrice"]) == ("100000", "150000")
    assert data["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_jsonld_cannot_be_broken_out_of(client):
    product = ProductFactory(name="</script><script>alert(1)</script>")

    html = client.get(product.get_absolute_url()).content.decode()

    assert "</script><script>alert(1)" not in html
    assert _jsonld(html)["name"] == "</script><script>alert(1)</script>"


def test_sitemap_lists_visible_products_and_categories(client):
    # given
    category_create("Batik")
    shown = ProductFactory()
    draft = ProductFactory(is_published=False)
    future = ProductFactory(available_from=timezone.now() + timedelta(days=1))

    # when
    response = client.get("/sitemap.xml")

    # then
    xml = response.content.decode()
    assert response.status_code == 200
    assert f"<loc>http://testserver{shown.get_absolute_url()}</loc>" in xml
    assert f"<loc>http://testserver/id{shown.get_absolute_url()}</loc>" in xml
    assert "<loc>http://testserver/shop/c/batik/</loc>" in xml
    assert "<loc>http://testserver/</loc>" in xml
    assert "<loc>http://testserver/shop/</loc>" in xml
    assert "<loc>http://testserver/id/shop/</loc>" in xml
    assert draft.slug not in xml
    assert future.slug not in xml


def test_robots_txt_lists_the_sitemap(client):
    response = client.get("/robots.txt")

    text = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text
    assert "Disallow: /shop/cart/\n" in text
    assert "Disallow: /id/shop/checkout/\n" in text


def test_category_page_has_a_canonical_link_and_filtered_pages_are_noindex(client):
    category_create("Batik")

    plain = client.get("/shop/c/batik/").content.decode()
    filtered = client.get("/shop/c/batik/?in_stock=1").content.decode()

    assert '<link rel="canonical" href="http://testserver/shop/c/batik/">' in plain
    assert 'content="noindex, follow"' not in plain
    assert 'content="noindex, follow"' in filtered
