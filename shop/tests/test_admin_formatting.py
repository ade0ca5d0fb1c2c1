"""The shop admin shows money as the site does and statuses by their labels,
and variant options are typed as rows of name and value, not as JSON."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.admin_site import KampungAdminSite
from shop.models import Payment, Variant
from shop.services.orders import order_mark_paid
from shop.tests.factories import ProductFactory, UserFactory, order_place

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture(autouse=True)
def _default_language():
    """A request under /id/ leaves Indonesian active in this thread, and
    reverse() would then build /id/ URLs for the tests that follow."""
    yield
    translation.deactivate()


@pytest.fixture
def staff_client(client, monkeypatch):
    """A superuser; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def order():
    variant = ProductFactory(variant__price=Decimal("653000"), variant__stock=5).variants.get()
    Variant.objects.filter(pk=variant.pk).update(options={"Size": "L", "Colour": "Merah"})
    variant.refresh_from_db()
    return order_place(variant, gateway="bank_transfer", quantity=1)


def _text(response) -> str:
    """The page's text with tags removed, so '<td>Rp 653,000</td>' reads 'Rp 653,000'."""
    assert response.status_code == 200
    return re.sub(r"<[^>]+>", " ", response.content.decode())


def test_order_list_shows_formatted_total_and_status_label(staff_client, order):
    # when
    page = _text(staff_client.get(reverse("admin:shop_order_changelist")))

    # then
    assert order.total == Decimal("653000")
    assert f"Rp{NBSP}653,000" in page
    assert "653000.00" not in page
    assert "Pending payment" in page
    assert "pending_payment" not in page


def test_order_list_status_is_a_coloured_badge(staff_client, order):
    # when
    html = staff_client.get(reverse("admin:shop_order_changelist")).content.decode()

    # then
    assert re.search(r'class="status-badge status-warning">\s*Pending payment', html)
    assert "shop/css/admin.css" in html


def test_order_change_page_formats_money_of_order_lines_and_payments(staff_client, order):
    # given: paid, so there is a history entry and a payment row
    Payment.objects.create(
        order=order,
        gateway="bank_transfer",
        reference=order.number,
        amount=order.total,
        status=Payment.Status.SUCCEEDED,
    )
    order_mark_paid(order_id=order.pk, payment_reference=order.number)

    # when
    page = _text(staff_client.get(reverse("admin:shop_order_change", args=[order.pk])))

    # then: the totals, the line's unit price and total and the payment amount
    assert page.count(f"Rp{NBSP}653,000") >= 5, page
    assert "653000.00" not in page
    assert "Rp" + NBSP + "0" in page  # the discount, shipping and tax totals
    # the status and the history by their labels, never the stored values
    assert "Paid" in page and "Pending payment" in page and "Succeeded" in page
    assert "pending_payment" not in page
    # the line's options as they were sold
    assert "L / Merah" in page


def test_money_follows_the_admin_language(staff_client, order):
    # when
    page = _text(staff_client.get("/id" + reverse("admin:shop_order_changelist")))

    # then
    assert f"Rp{NBSP}653.000" in page
    assert "Menunggu pembayaran" in page


def test_payment_list_and_page_format_amount_and_status(staff_client, order):
    # given
    payment = Payment.objects.create(
        order=order,
        gateway="bank_transfer",
        reference="BCA-1",
        amount=Decimal("653000"),
        status=Payment.Status.REFUND_DUE,
    )

    # when
    listing = _text(staff_client.get(reverse("admin:shop_payment_changelist")))
    detail = _text(staff_client.get(reverse("admin:shop_payment_change", args=[payment.pk])))

    # then
    for page in (listing, detail):
        assert f"Rp{NBSP}653,000" in page
        assert "Received after cancellation, refund due" in page
        assert "refund_due" not in page


def test_variant_list_shows_options_by_name_and_formatted_price(staff_client, order):
    # when
    page = _text(staff_client.get(reverse("admin:shop_variant_changelist")))

    # then
    assert "Size: L, Colour: Merah" in page
    assert f"Rp{NBSP}653,000" in page


# --- The variant form: options as rows ------------------------------------------------


def _variant_form_data(variant: Variant, rows: list[tuple[str, str]]) -> dict:
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "price": str(variant.price),
        "compare_at_price": "",
        "is_active": "on",
        "position": "0",
    }
    for i, (name, value) in enumerate(rows):
        data[f"options_{i}_name"] = name
        data[f"options_{i}_value"] = value
    return data


@pytest.fixture
def variant(order):
    return Variant.objects.get()


def test_variant_page_shows_options_as_name_and_value_rows(staff_client, variant):
    # when
    html = staff_client.get(reverse("admin:shop_variant_change", args=[variant.pk])).content
    html = html.decode()

    # then: one row per option plus an empty one, no JSON text area
    assert re.search(r'name="options_0_name"[^>]*value="Size"', html)
    assert re.search(r'name="options_0_value"[^>]*value="L"', html)
    assert re.search(r'name="options_1_name"[^>]*value="Colour"', html)
    assert re.search(r'name="options_2_name"[^>]*value=""', html)
    assert '<textarea name="options"' not in html


def test_posting_option_rows_saves_the_options_object(staff_client, variant):
    # when: a changed value, a new option, an empty row, names and values with spaces
    response = staff_client.post(
        reverse("admin:shop_variant_change", args=[variant.pk]),
        _variant_form_data(
            variant,
            [(" Size ", "XL "), ("Colour", "Merah"), ("", ""), ("Material", "Katun")],
        ),
    )

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    variant.refresh_from_db()
    assert variant.options == {"Size": "XL", "Colour": "Merah", "Material": "Katun"}
    assert list(variant.options) == ["Size", "Colour", "Material"]


def test_emptying_every_row_leaves_a_variant_without_options(staff_client, variant):
    # when
    response = staff_client.post(
        reverse("admin:shop_variant_change", args=[variant.pk]),
        _variant_form_data(variant, [("", ""), ("", "")]),
    )

    # then
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.options == {}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Size", "M"), ("size", "L")], "The option size is listed twice; use each name once."),
        ([("Size", "M"), ("", "Red")], "Give the value Red an option name, e.g. Size or Colour."),
        ([("Size", "M"), ("Colour", " ")], "Give the option Colour a value."),
    ],
)
def test_bad_option_rows_are_refused_with_a_message_and_kept_on_the_page(
    staff_client, variant, rows, message
):
    # when
    response = staff_client.post(
        reverse("admin:shop_variant_change", args=[variant.pk]),
        _variant_form_data(variant, rows),
    )

    # then: the reason is shown, what was typed is still there, nothing is saved
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    for i, (name, value) in enumerate(rows):
        assert re.search(rf'name="options_{i}_name"[^>]*value="{re.escape(name)}"', html)
        assert re.search(rf'name="options_{i}_value"[^>]*value="{re.escape(value)}"', html)
    variant.refresh_from_db()
    assert variant.options == {"Size": "L", "Colour": "Merah"}


def test_product_page_variant_rows_save_options(staff_client, variant):
    # given: the product page with its variant inline
    product = variant.product
    data = {
        "name_en": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "description_en": product.description,
        "is_published": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": variant.pk,
        "variants-0-product": product.pk,
        "variants-0-sku": variant.sku,
        "variants-0-options_0_name": "Size",
        "variants-0-options_0_value": "S",
        "variants-0-options_1_name": "Colour",
        "variants-0-options_1_value": "Merah",
        "variants-0-price": "653000",
        "variants-0-stock": str(variant.stock),
        "variants-0-is_active": "on",
        "variants-0-position": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    url = reverse("admin:shop_product_change", args=[product.pk])

    # when
    page = staff_client.get(url).content.decode()
    response = staff_client.post(url, data)

    # then
    assert 'name="variants-0-options_0_name"' in page
    assert 'name="variants-__prefix__-options_0_name"' in page
    assert response.status_code == 302, response.context["errors"]
    variant.refresh_from_db()
    assert variant.options == {"Size": "S", "Colour": "Merah"}
