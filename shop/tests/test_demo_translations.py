"""The demo catalogue ships in English and Bahasa Indonesia."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from shop import demo_translations
from shop.demo import seed_shop
from shop.models import Category, Product, ProductTag, ShippingMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_shop(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_shop(io.StringIO(), products=24)


def test_demo_text_is_in_both_languages_and_english_has_no_indonesian_line(demo_shop):
    batik = Category.objects.get(slug="batik")
    assert batik.name_ind == "Batik"
    assert Category.objects.get(slug="kitchen").name_ind == "Dapur"
    products = list(Product.objects.all())
    assert products
    for product in products:
        assert product.description_ind, product.slug
        assert demo_translations.CLOSING["id"] not in product.description_en
        assert demo_translations.CLOSING["en"] in product.description_en
        assert demo_translations.CLOSING["id"] in product.description_ind
        assert product.description_html_ind.startswith("<p><strong>")
    tags = dict(ProductTag.objects.values_list("name_en", "name_ind"))
    assert tags["handmade"] == "buatan tangan"
    assert ShippingMethod.objects.get(name_en="Pick up at the shop").name_ind == "Ambil di toko"


def test_demo_pages_read_indonesian_on_id(client, demo_shop):
    product = Product.objects.filter(category__slug="batik").first()
    url = product.get_absolute_url()
    page = client.get(f"/id{url}").content.decode()
    assert demo_translations.BLURBS["batik"] in page
    english = client.get(url).content.decode()
    assert demo_translations.BLURBS["batik"] not in english
    with translation.override("id"):
        assert "Fesyen" in client.get("/id/shop/").content.decode()


def test_translating_twice_changes_nothing(demo_shop):
    from shop.demo import _specs

    before = list(Product.objects.values_list("description_en", "description_ind"))
    assert demo_translations.translate_demo_catalogue(_specs()) == 0
    assert list(Product.objects.values_list("description_en", "description_ind")) == before
