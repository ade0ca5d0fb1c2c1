from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from shop import csv_io
from shop.models import Brand, Product, Variant
from shop.services.catalog import variant_add
from shop.tests.factories import ProductFactory, UserFactory, category_create

pytestmark = pytest.mark.django_db

HEADER = ",".join(csv_io.COLUMNS)


@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def batik(db):
    return category_create("Batik", parent=category_create("Fashion"))


def _upload(text: str, name: str = "products.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _snapshot() -> list[tuple]:
    return sorted(
        Variant.objects.values_list(
            "sku",
            "product__slug",
            "product__name",
            "product__category__slug",
            "product__brand__name",
            "price",
            "compare_at_price",
            "stock",
            "options",
            "product__description",
            "product__is_published",
        )
    )


def test_export_then_import_changes_nothing(staff_client, batik):
    # given: a product with two variants, tags, a multi-line description
    shirt = ProductFactory(
        name="Kemeja Batik Parang",
        slug="kemeja-batik-parang",
        category=batik,
        description='Batik **tulis**, dijahit rapi.\n\n- katun\n- "adem", nyaman',
        variant__sku="KBP-M",
        variant__price=Decimal("250000"),
        variant__stock=4,
    )
    Variant.objects.filter(sku="KBP-M").update(options={"Size": "M", "Colour": "Biru"})
    variant_add(
        product=shirt,
        sku="KBP-L",
        price=Decimal("260000"),
        stock=0,
        options={"Size": "L", "Colour": "Biru"},
        compare_at_price=Decimal("300000"),
    )
    shirt.tags.set(["batik", "kemeja"])
    ProductFactory(name="Kopi Gayo", slug="kopi-gayo", category=batik, brand=None)
    before = _snapshot()
    # when
    exported = staff_client.get(reverse("admin:shop_product_export"))
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    body = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == csv_io.COLUMNS
    assert len(rows) == 4
    response = staff_client.post(
        reverse("admin:shop_product_import"), {"file": _upload(exported.content.decode("utf-8"))}
    )
    # then
    assert response.status_code == 302
    assert _snapshot() == before
    assert sorted(Product.objects.get(slug="kemeja-batik-parang").tags.names()) == [
        "batik",
        "kemeja",
    ]
    message = [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert "0 products created" in message and "3 unchanged" in message


def test_import_creates_products_with_variants_by_category_path(staff_client, batik):
    text = "\n".join(
        [
            HEADER,
            'KB-S,Kaos Batik,Fashion/Batik,Rumah Batik,150000,,5,Size=S,kaos-batik,"Nyaman.",'
            '"batik, kaos",yes',
            "KB-M,Kaos Batik,fashion/batik,Rumah Batik,155000,180000,0,Size=M,kaos-batik,,,yes",
            "GULA-1,Gula Aren,batik,,30000,,12,,,,,no",
        ]
    )
    response = staff_client.post(reverse("admin:shop_product_import"), {"file": _upload(text)})
    assert response.status_code == 302
    kaos = Product.objects.get(slug="kaos-batik")
    assert kaos.category == batik and kaos.brand.name == "Rumah Batik" and kaos.is_published
    assert sorted(kaos.tags.names()) == ["batik", "kaos"]
    assert kaos.min_price == Decimal("150000") and kaos.in_stock
    medium = Variant.objects.get(sku="KB-M")
    assert (medium.product, medium.options, medium.compare_at_price) == (
        kaos,
        {"Size": "M"},
        Decimal("180000"),
    )
    gula = Product.objects.get(slug="gula-aren")
    assert not gula.is_published and gula.variants.get().stock == 12


def test_import_with_bad_rows_writes_nothing_and_names_each_row(staff_client, batik):
    # given
    ProductFactory(variant__sku="KEEP-1", variant__price=Decimal("1000"), category=batik)
    before = _snapshot()
    brands_before = Brand.objects.count()
    text = "\n".join(
        [
            HEADER,
            "KEEP-1,Renamed,batik,New Brand,2000,,1,,,,,yes",  # row 2: fine on its own
            "A-1,Kopi,batik,,-5,,1,,kopi,,,yes",  # row 3: negative price
            "A-2,Teh,Minuman/Teh,,10000,,1,,teh,,,yes",  # row 4: unknown category
            "A-3,Gula,batik,,10000,,1,,gula,,,yes",  # row 5: fine
            "A-3,Gula 2,batik,,10000,,1,,gula,,,yes",  # row 6: duplicate sku
            "A-4,Garam,batik,,10000,,banyak,,garam,,,yes",  # row 7: stock not a number
        ]
    )
    # when
    response = staff_client.post(reverse("admin:shop_product_import"), {"file": _upload(text)})
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was changed" in page
    errors = [str(e) for e in response.context["result"].errors]
    assert [e.split(",")[0] for e in errors] == ["Row 3", "Row 4", "Row 6", "Row 7"]
    assert "negative" in errors[0]
    assert "Minuman/Teh" in errors[1]
    assert "row 5" in errors[2]
    assert "banyak" in errors[3]
    for error in errors:
        assert error in page
    assert _snapshot() == before
    assert Brand.objects.count() == brands_before


def test_import_refuses_stock_below_what_unpaid_orders_hold(batik):
    ProductFactory(variant__sku="HELD", variant__stock=5, category=batik)
    Variant.objects.filter(sku="HELD").update(reserved=3)
    text = f"{HEADER}\nHELD,Held,batik,,1000,,2,,,,,yes\n"
    result = csv_io.products_import_check(_upload(text))
    assert [e.row for e in result.errors] == [2]
    assert Variant.objects.get(sku="HELD").stock == 5


def test_import_refuses_a_file_that_is_not_csv(staff_client):
    png = SimpleUploadedFile(
        "photo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary", content_type="image/png"
    )
    response = staff_client.post(reverse("admin:shop_product_import"), {"file": png})
    assert response.status_code == 200
    assert "Upload a .csv file" in response.content.decode()
    binary = SimpleUploadedFile("data.csv", b"\x00\x01\x02PK\x03\x04", content_type="text/csv")
    response = staff_client.post(reverse("admin:shop_product_import"), {"file": binary})
    assert "not a CSV file" in response.content.decode()
    assert not Product.objects.exists()


def test_import_refuses_a_file_over_the_size_limit(staff_client, monkeypatch):
    monkeypatch.setattr(csv_io, "IMPORT_MAX_BYTES", 100)
    text = HEADER + "\n" + "X,Big,batik,,1,,1,,,,,yes\n" * 10
    response = staff_client.post(reverse("admin:shop_product_import"), {"file": _upload(text)})
    assert "too large" in response.content.decode()


def test_import_names_missing_columns():
    result = csv_io.products_import_check(_upload("sku,name\nA,B\n"))
    assert "category" in str(result.errors[0]) and "price" in str(result.errors[0])


def test_import_page_renders(staff_client):
    response = staff_client.get(reverse("admin:shop_product_import"))
    assert response.status_code == 200
    assert "product_slug" in response.content.decode()
