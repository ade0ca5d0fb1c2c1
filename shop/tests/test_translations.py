"""Catalogue content per language: stored per column, shown in the
visitor's language with the English text as the fallback, exported and
imported in the CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.exceptions import ApplicationError
from shop import csv_io
from shop.models import Product, ProductTag
from shop.services.catalog import product_create, product_tags_set
from shop.tests.factories import category_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirts(db):
    return category_create("Shirts")


def _shirt(category, **kwargs) -> Product:
    return product_create(
        name="Batik shirt",
        description="A *hand-drawn* shirt.",
        category=category,
        price=Decimal("250000"),
        sku="SHIRT-1",
        stock=5,
        is_published=True,
        tags=["cotton", "handmade"],
        translations={"id": {"name": "Kemeja batik", "description": "Kemeja *tulis*."}},
        tag_translations={"id": ["katun", "buatan tangan"]},
        **kwargs,
    )


def test_each_language_has_its_column_and_english_is_the_fallback(shirts):
    product = _shirt(shirts)
    product.refresh_from_db()
    assert (product.name_en, product.name_ind) == ("Batik shirt", "Kemeja batik")
    assert product.description_html_en == "<p>A <em>hand-drawn</em> shirt.</p>"
    assert product.description_html_ind == "<p>Kemeja <em>tulis</em>.</p>"
    with translation.override("id"):
        assert product.name == "Kemeja batik"
        assert sorted(tag.name for tag in product.tags.all()) == ["buatan tangan", "katun"]
    with translation.override("en"):
        assert product.name == "Batik shirt"
    untranslated = product_create(
        name="Plain shirt", category=shirts, price=Decimal("1"), sku="PLAIN-1"
    )
    with translation.override("id"):
        assert Product.objects.get(pk=untranslated.pk).name == "Plain shirt"


def test_a_create_during_an_indonesian_request_still_writes_the_english_text(shirts):
    """modeltranslation sends a plain `name=` to the active language's
    column: a staff member using the admin in Indonesian would otherwise
    create products with no English name and tags that are not found."""
    with translation.override("id"):
        product = _shirt(shirts)
    product.refresh_from_db()
    assert product.name_en == "Batik shirt"
    assert sorted(ProductTag.objects.values_list("name_en", flat=True)) == ["cotton", "handmade"]
    with translation.override("id"):
        again = product_create(
            name="Second", category=shirts, price=Decimal("1"), sku="S-2", tags=["cotton"]
        )
    assert ProductTag.objects.count() == 2  # "cotton" was found, not created twice
    assert again.tags.get().name_ind == "katun"


def test_a_translated_tag_name_cannot_be_taken_twice(shirts):
    product = _shirt(shirts)
    with pytest.raises(ApplicationError, match="already called"):
        product_tags_set(
            product=product, tags=["cotton", "handmade"], translations={"id": ["katun", "katun"]}
        )


def test_product_page_and_listing_speak_the_visitors_language(client, shirts):
    product = _shirt(shirts)
    english = client.get(product.get_absolute_url()).content.decode()
    assert "Batik shirt" in english and "Kemeja batik" not in english
    indonesian = client.get(f"/id{product.get_absolute_url()}").content.decode()
    assert "Kemeja batik" in indonesian
    assert "Kemeja <em>tulis</em>." in indonesian
    assert "hand-drawn" not in indonesian
    listing = client.get("/id/shop/").content.decode()
    assert "Kemeja batik" in listing


def _export_rows() -> list[dict]:
    text = csv_io.products_export_csv(Product.objects.all())
    return list(csv.DictReader(io.StringIO(text)))


def _upload(rows: list[dict]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_io.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("products.csv", out.getvalue().encode(), content_type="text/csv")


def test_csv_exports_and_imports_each_language(shirts):
    _shirt(shirts)
    [row] = _export_rows()
    assert row["name"] == "Batik shirt" and row["name_id"] == "Kemeja batik"
    assert row["description_id"] == "Kemeja *tulis*."
    assert row["tags"] == "cotton, handmade" and row["tags_id"] == "katun, buatan tangan"

    unchanged = csv_io.products_import_apply(csv_io.products_import_check(_upload([row])))
    assert (unchanged.products_updated, unchanged.variants_updated) == (0, 0)

    row["name_id"] = "Kemeja batik tulis"
    row["tags_id"] = ", kain katun"  # the first tag keeps its translation
    result = csv_io.products_import_apply(csv_io.products_import_check(_upload([row])))
    assert result.products_updated == 1
    product = Product.objects.get()
    assert (product.name_en, product.name_ind) == ("Batik shirt", "Kemeja batik tulis")
    assert dict(ProductTag.objects.values_list("name_en", "name_ind")) == {
        "cotton": "katun",
        "handmade": "kain katun",
    }


def test_csv_import_of_a_new_product_in_two_languages(shirts):
    row = dict.fromkeys(csv_io.COLUMNS, "")
    row.update(
        sku="TEA-1",
        name="Highland tea",
        name_id="Teh pegunungan",
        description_id="Teh daun dari kebun.",
        category="shirts",
        price="45000",
        tags="tea",
        tags_id="teh",
        published="yes",
    )
    with translation.override("id"):  # the admin in Indonesian
        result = csv_io.products_import_apply(csv_io.products_import_check(_upload([row])))
    assert result.products_created == 1
    product = Product.objects.get()
    assert (product.name_en, product.name_ind) == ("Highland tea", "Teh pegunungan")
    assert product.description_html_ind == "<p>Teh daun dari kebun.</p>"
    assert product.tags.get().name_ind == "teh"


def test_csv_tags_in_another_language_must_match_the_tags(shirts):
    row = dict.fromkeys(csv_io.COLUMNS, "")
    row.update(sku="X-1", name="X", category="shirts", price="1", tags="a, b", tags_id="satu")
    result = csv_io.products_import_check(_upload([row]))
    assert not result.ok
    [error] = result.errors
    assert error.column == "tags_id" and "same order" in error.message
    assert Product.objects.count() == 0


def test_a_tag_translated_later_makes_its_products_findable_by_the_new_name(shirts):
    from shop import selectors

    product = _shirt(shirts)
    other = product_create(
        name="Plain tee", category=shirts, price=Decimal("1"), sku="TEE-1", tags=["cotton"],
        is_published=True,
    )  # fmt: skip
    with translation.override("id"):
        assert not selectors.product_search(query="kapas", base=Product.objects.all()).exists()
    # when: the Indonesian name of "cotton" changes, through another product
    product_tags_set(product=product, tags=["cotton", "handmade"], translations={"id": ["kapas"]})
    # then: both products with the tag are found by it in Indonesian
    with translation.override("id"):
        found = selectors.product_search(query="kapas", base=Product.objects.all())
        assert {p.pk for p in found} == {product.pk, other.pk}
