from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from accounts.admin_site import KampungAdminSite
from shop.models import Order, OrderHistory, Product, ProductImage, Variant
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_mark_paid
from shop.tests.factories import (
    BrandFactory,
    CouponFactory,
    ProductFactory,
    UserFactory,
    category_create,
)

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Budi Santoso",
    "phone": "0812000000",
    "line1": "Jl. Melati 1",
    "city": "Yogyakarta",
    "postal_code": "55281",
    "country": "ID",
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_client(client, monkeypatch):
    """A superuser; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    # The first page a staff session opens stamps it for the idle timeout
    # (one session write); counted pages after it do not write again.
    client.get(reverse("admin:index"))
    client.staff = staff
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _png(colour=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(out, format="PNG")
    return SimpleUploadedFile("photo.png", out.getvalue(), content_type="image/png")


def _place_order(user, variant, quantity: int = 1) -> Order:
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
    )


def _action(client, url: str, action: str, objects, **data):
    return client.post(
        url,
        {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **data},
        follow=False,
    )


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Pages render, with query counts that do not grow with rows ---------------------


def _product_with_image(**kwargs) -> Product:
    from shop.services.catalog import product_image_add

    product = ProductFactory(**kwargs)
    product_image_add(product=product, upload=_png())
    product.tags.set(["batik"])
    return product


def test_product_changelist_query_count_does_not_grow_with_products(staff_client):
    # given
    url = reverse("admin:shop_product_changelist")
    for _ in range(3):
        _product_with_image()
    few = _count_queries(staff_client, url)
    # when
    for _ in range(12):
        _product_with_image(brand=BrandFactory())
    many = _count_queries(staff_client, url)
    # then
    assert many == few
    response = staff_client.get(url)
    assert response.content.count(b"thumb.webp") == 15
    assert "Import CSV" in response.content.decode()


def test_order_changelist_query_count_does_not_grow_with_orders(staff_client):
    url = reverse("admin:shop_order_changelist")
    variant = ProductFactory(variant__stock=100).variants.get()
    for _ in range(3):
        _place_order(UserFactory(), variant)
    few = _count_queries(staff_client, url)
    for _ in range(12):
        _place_order(UserFactory(), variant)
    many = _count_queries(staff_client, url)
    assert many == few


def test_coupon_changelist_query_count_does_not_grow_with_coupons(staff_client):
    url = reverse("admin:shop_coupon_changelist")
    CouponFactory.create_batch(3)
    few = _count_queries(staff_client, url)
    CouponFactory.create_batch(12)
    assert _count_queries(staff_client, url) == few


def test_change_pages_render(staff_client):
    product = _product_with_image()
    user = UserFactory()
    order = _place_order(user, product.variants.get())
    coupon = CouponFactory()
    for url in [
        reverse("admin:shop_product_change", args=[product.pk]),
        reverse("admin:shop_product_add"),
        reverse("admin:shop_order_change", args=[order.pk]),
        reverse("admin:shop_coupon_change", args=[coupon.pk]),
        reverse("admin:shop_coupon_add"),
        reverse("admin:shop_category_changelist"),
        reverse("admin:shop_category_add"),
        reverse("admin:shop_brand_changelist"),
        reverse("admin:shop_cart_changelist"),
        reverse("admin:shop_cart_change", args=[cart_for_user(user=user).pk]),
        reverse("admin:shop_payment_changelist"),
        reverse("admin:shop_webhookreceipt_changelist"),
        reverse("admin:shop_stockalert_changelist"),
        reverse("admin:shop_wishlistitem_changelist"),
        reverse("admin:shop_address_changelist"),
        reverse("admin:shop_shippingmethod_changelist"),
        reverse("admin:shop_variant_changelist"),
        reverse("admin:shop_product_import"),
        reverse("admin:shop_product_changelist") + "?q=batik",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
    page = staff_client.get(reverse("admin:shop_product_change", args=[product.pk]))
    assert b"card.webp" in page.content


def test_order_change_page_query_count_does_not_grow_with_lines(staff_client):
    user = UserFactory()
    products = [ProductFactory() for _ in range(6)]
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=products[0].variants.get().pk)
    small = checkout_place_order(
        cart=cart, user=user, email=user.email, shipping_address=ADDRESS,
        shipping_method_id=None, payment_gateway="bank_transfer",
    )  # fmt: skip
    for product in products:
        cart_add(cart=cart, variant_id=product.variants.get().pk)
    big = checkout_place_order(
        cart=cart, user=user, email=user.email, shipping_address=ADDRESS,
        shipping_method_id=None, payment_gateway="bank_transfer",
    )  # fmt: skip
    # One request first: per-process caches (content types, the site) fill once.
    _count_queries(staff_client, reverse("admin:shop_order_change", args=[small.pk]))
    assert _count_queries(
        staff_client, reverse("admin:shop_order_change", args=[small.pk])
    ) == _count_queries(staff_client, reverse("admin:shop_order_change", args=[big.pk]))


# --- Product actions ----------------------------------------------------------------


def test_price_change_action_asks_for_a_percentage_then_changes_every_variant(staff_client):
    # given
    url = reverse("admin:shop_product_changelist")
    chosen = ProductFactory(variant__price=Decimal("100000"))
    Variant.objects.create(product=chosen, sku="CHOSEN-2", price=Decimal("55555"), stock=1)
    other = ProductFactory(variant__price=Decimal("100000"))
    # when: the first post shows the intermediate page
    page = _action(staff_client, url, "change_prices", [chosen])
    assert page.status_code == 200
    assert b'name="percent"' in page.content
    assert Variant.objects.get(sku=f"SKU-{chosen.pk}").price == Decimal("100000")
    # when: it is applied
    response = _action(staff_client, url, "change_prices", [chosen], apply="1", percent="-10")
    # then
    assert response.status_code == 302
    assert Variant.objects.get(sku=f"SKU-{chosen.pk}").price == Decimal("90000")
    assert Variant.objects.get(sku="CHOSEN-2").price == Decimal("50000")  # 49999.5 rounded
    assert other.variants.get().price == Decimal("100000")
    chosen.refresh_from_db()
    assert chosen.min_price == Decimal("50000")


def test_price_change_refuses_a_drop_of_more_than_90_percent(staff_client):
    url = reverse("admin:shop_product_changelist")
    product = ProductFactory(variant__price=Decimal("100000"))
    response = _action(staff_client, url, "change_prices", [product], apply="1", percent="-95")
    assert response.status_code == 200
    assert product.variants.get().price == Decimal("100000")


def test_publish_and_unpublish_actions(staff_client):
    url = reverse("admin:shop_product_changelist")
    hidden = ProductFactory(is_published=False)
    shown = ProductFactory(is_published=True)
    _action(staff_client, url, "publish", [hidden])
    hidden.refresh_from_db()
    shown.refresh_from_db()
    assert hidden.is_published and shown.is_published
    _action(staff_client, url, "unpublish", [shown])
    shown.refresh_from_db()
    hidden.refresh_from_db()
    assert not shown.is_published and hidden.is_published


def test_feature_action(staff_client):
    url = reverse("admin:shop_product_changelist")
    product = ProductFactory()
    _action(staff_client, url, "feature", [product])
    product.refresh_from_db()
    assert product.is_featured


def test_bulk_stock_set_goes_through_the_lock_and_refuses_below_reserved(staff_client):
    # given: 3 units held by an unpaid order on one product
    url = reverse("admin:shop_product_changelist")
    held = ProductFactory(variant__stock=5)
    free = ProductFactory(variant__stock=5)
    _place_order(UserFactory(), held.variants.get(), quantity=3)
    # when
    response = _action(staff_client, url, "set_stock", [held, free], apply="1", stock="2")
    # then
    assert response.status_code == 302
    assert held.variants.get().stock == 5
    assert free.variants.get().stock == 2
    texts = _messages(response)
    assert any("held by unpaid orders" in t for t in texts)


def _product_form_data(product: Product, variants, *, images=()) -> dict:
    data = {
        "name_en": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "brand": product.brand_id or "",
        "tags": "batik",
        "description_en": product.description,
        "is_published": "on",
        "seo_title": "",
        "seo_description": "",
        "available_from_0": "",
        "available_from_1": "",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": str(sum(1 for v in variants if v.get("id"))),
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    for i, variant in enumerate(variants):
        for key, value in variant.items():
            data[f"variants-{i}-{key}"] = value
        data[f"variants-{i}-product"] = product.pk
    for i, image in enumerate(images):
        for key, value in image.items():
            data[f"images-{i}-{key}"] = value
    return data


def _variant_row(variant: Variant, **changes) -> dict:
    row = {
        "id": variant.pk,
        "sku": variant.sku,
        "options_0_name": "",
        "options_0_value": "",
        "price": str(variant.price),
        "compare_at_price": "",
        "stock": str(variant.stock),
        "is_active": "on",
        "position": "0",
    }
    row.update(changes)
    return row


def test_product_page_stock_below_reserved_is_refused_with_a_message(staff_client):
    # given
    product = ProductFactory(variant__stock=5)
    variant = product.variants.get()
    _place_order(UserFactory(), variant, quantity=4)
    url = reverse("admin:shop_product_change", args=[product.pk])
    # when
    response = staff_client.post(
        url, _product_form_data(product, [_variant_row(variant, stock="2", price="120000")])
    )
    # then: the form is shown again with the reason, nothing is saved
    assert response.status_code == 200
    assert "held by unpaid orders" in response.content.decode()
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved, variant.price) == (5, 4, Decimal("100000"))


def test_product_page_saves_variants_images_and_refreshes_the_product(staff_client, monkeypatch):
    # given
    from shop.services import catalog

    calls = []
    real = catalog.variant_set_stock
    monkeypatch.setattr(
        "shop.admin.variant_set_stock",
        lambda **kw: calls.append(kw) or real(**kw),
    )
    product = ProductFactory(variant__stock=0, variant__price=Decimal("100000"))
    variant = product.variants.get()
    url = reverse("admin:shop_product_change", args=[product.pk])
    data = _product_form_data(
        product,
        [
            _variant_row(variant, stock="7", price="80000"),
            {
                "sku": "NEW-L",
                "options_0_name": "Size",
                "options_0_value": "L",
                "price": "95000",
                "compare_at_price": "120000",
                "stock": "3",
                "is_active": "on",
                "position": "1",
            },
        ],
        images=[{"upload": _png(), "alt_text": "Front", "position": "0"}],
    )
    # when
    response = staff_client.post(url, data)
    # then
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert calls == [{"variant_id": variant.pk, "stock": 7}]
    variant.refresh_from_db()
    assert (variant.stock, variant.price) == (7, Decimal("80000"))
    new = Variant.objects.get(sku="NEW-L")
    assert (new.options, new.stock, new.compare_at_price) == (
        {"Size": "L"},
        3,
        Decimal("120000"),
    )
    image = ProductImage.objects.get(product=product)
    assert image.alt_text == "Front" and image.card and image.thumb
    product.refresh_from_db()
    assert product.min_price == Decimal("80000") and product.in_stock
    assert "<strong>fine</strong>" in product.description_html


def test_product_page_refuses_a_file_that_is_not_an_image(staff_client):
    product = ProductFactory()
    variant = product.variants.get()
    bad = SimpleUploadedFile("photo.png", b"not an image at all", content_type="image/png")
    response = staff_client.post(
        reverse("admin:shop_product_change", args=[product.pk]),
        _product_form_data(
            product, [_variant_row(variant)], images=[{"upload": bad, "position": "0"}]
        ),
    )
    assert response.status_code == 200
    assert "not a valid image" in response.content.decode()
    assert not ProductImage.objects.exists()


# --- Order actions --------------------------------------------------------------------


def test_mark_paid_action_commits_the_held_stock(staff_client):
    # given
    variant = ProductFactory(variant__stock=5).variants.get()
    order = _place_order(UserFactory(), variant, quantity=2)
    variant.refresh_from_db()
    assert (variant.stock, variant.reserved) == (5, 2)
    # when
    response = _action(staff_client, reverse("admin:shop_order_changelist"), "mark_paid", [order])
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at
    assert (variant.stock, variant.reserved) == (3, 0)
    history = OrderHistory.objects.filter(order=order).last()
    assert history.to_status == Order.Status.PAID and history.actor == staff_client.staff
    assert any(order.number in t for t in _messages(response))


def test_ship_action_asks_for_carrier_and_tracking_number(staff_client):
    # given
    url = reverse("admin:shop_order_changelist")
    order = _place_order(UserFactory(), ProductFactory().variants.get())
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")
    # when: the first post asks
    page = _action(staff_client, url, "mark_shipped", [order])
    # then
    assert page.status_code == 200
    assert f'name="tracking_{order.pk}"'.encode() in page.content
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    # when: a missing tracking number is refused
    page = _action(staff_client, url, "mark_shipped", [order], apply="1", carrier="JNE")
    assert page.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    # when: answered
    response = _action(
        staff_client,
        url,
        "mark_shipped",
        [order],
        apply="1",
        carrier="JNE",
        **{f"tracking_{order.pk}": "JNE123456"},
    )
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_number) == (
        Order.Status.FULFILLED,
        "JNE",
        "JNE123456",
    )


def test_invalid_transition_shows_the_error_and_changes_nothing(staff_client):
    # given: an unpaid order cannot be delivered
    unpaid = _place_order(UserFactory(), ProductFactory().variants.get())
    history_before = OrderHistory.objects.filter(order=unpaid).count()
    # when
    response = _action(
        staff_client, reverse("admin:shop_order_changelist"), "mark_delivered", [unpaid]
    )
    # then
    assert response.status_code == 302
    unpaid.refresh_from_db()
    assert unpaid.status == Order.Status.PENDING_PAYMENT
    assert OrderHistory.objects.filter(order=unpaid).count() == history_before
    texts = _messages(response)
    assert any(unpaid.number in t and "cannot go from" in t for t in texts)


def test_actions_report_each_order_separately(staff_client):
    variant = ProductFactory(variant__stock=10).variants.get()
    paid = _place_order(UserFactory(), variant)
    order_mark_paid(order_id=paid.pk, payment_reference="R1")
    unpaid = _place_order(UserFactory(), variant)
    response = _action(
        staff_client, reverse("admin:shop_order_changelist"), "complete", [paid, unpaid]
    )
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert paid.status == Order.Status.PAID and unpaid.status == Order.Status.PENDING_PAYMENT
    assert len([t for t in _messages(response) if "cannot go from" in t]) == 2


def test_refund_action_partial_then_full(staff_client):
    # given
    url = reverse("admin:shop_order_changelist")
    order = _place_order(
        UserFactory(), ProductFactory(variant__price=Decimal("100000")).variants.get()
    )
    order_mark_paid(order_id=order.pk, payment_reference="R2")
    # when: the form is shown first
    assert _action(staff_client, url, "refund", [order]).status_code == 200
    _action(staff_client, url, "refund", [order], apply="1", amount="25000")
    order.refresh_from_db()
    # then
    assert order.refunded_total == Decimal("25000")
    assert order.status == Order.Status.PAID
    # when: empty amount refunds the rest
    _action(staff_client, url, "refund", [order], apply="1", amount="")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_total == order.total


def test_refund_more_than_paid_is_refused(staff_client):
    url = reverse("admin:shop_order_changelist")
    order = _place_order(UserFactory(), ProductFactory().variants.get())
    order_mark_paid(order_id=order.pk, payment_reference="R3")
    response = _action(staff_client, url, "refund", [order], apply="1", amount=str(order.total + 1))
    order.refresh_from_db()
    assert order.refunded_total == 0
    assert any("Refund between" in t for t in _messages(response))


def test_category_tree_admin_adds_a_child(staff_client):
    parent = category_create("Fashion")
    response = staff_client.post(
        reverse("admin:shop_category_add"),
        {
            "name_en": "Batik Tulis",
            "slug": "batik-tulis",
            "description": "",
            "position": "0",
            "is_active": "on",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": str(parent.pk),
        },
    )
    assert response.status_code == 302
    from shop.models import Category

    child = Category.objects.get(slug="batik-tulis")
    assert Category.objects.get_parent(child) == parent


def test_product_page_edits_both_languages_side_by_side(staff_client):
    # given
    product = ProductFactory(name="Batik shirt")
    variant = product.variants.get()
    url = reverse("admin:shop_product_change", args=[product.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="name_en"' in page and 'name="name_ind"' in page
    assert 'name="description_ind"' in page and 'name="name"' not in page
    # when: staff working in Indonesian fill in the Indonesian text
    data = _product_form_data(product, [_variant_row(variant)])
    data.update(name_ind="Kemeja batik", description_ind="Kemeja **tulis**.")
    response = staff_client.post(url, data, HTTP_ACCEPT_LANGUAGE="id")
    # then: each language keeps its own text, and the Indonesian page shows it
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.name_en, product.name_ind) == ("Batik shirt", "Kemeja batik")
    assert product.description_html_ind == "<p>Kemeja <strong>tulis</strong>.</p>"
    assert "Kemeja batik" in staff_client.get(f"/id{product.get_absolute_url()}").content.decode()


def test_tags_are_translated_in_their_own_admin(staff_client):
    from shop.models import ProductTag

    tag = ProductTag.objects.create(name_en="cotton", name="cotton", slug="cotton")
    url = reverse("admin:shop_producttag_change", args=[tag.pk])
    response = staff_client.post(url, {"name_en": "cotton", "name_ind": "katun", "slug": "cotton"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name_en, tag.name_ind) == ("cotton", "katun")
    assert "taggit" not in staff_client.get(reverse("admin:index")).content.decode()


def test_product_tags_are_typed_by_english_name_in_an_indonesian_admin(staff_client):
    from shop.models import ProductTag
    from shop.services.catalog import product_tags_set

    product = ProductFactory(name="Batik shirt")
    product_tags_set(product=product, tags=["cotton"], translations={"id": ["katun"]})
    url = reverse("admin:shop_product_change", args=[product.pk])
    page = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'name="tags" value="cotton"' in page
    data = _product_form_data(product, [_variant_row(product.variants.get())])
    data["tags"] = "cotton, silk"
    response = staff_client.post(url, data, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 302
    assert sorted(ProductTag.objects.values_list("name_en", "name_ind")) == [
        ("cotton", "katun"),
        ("silk", None),
    ]
    assert sorted(t.name_en for t in product.tags.all()) == ["cotton", "silk"]
