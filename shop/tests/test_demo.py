from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from shop.models import (
    Brand,
    Category,
    Coupon,
    Order,
    OrderLine,
    Product,
    ProductImage,
    ShippingMethod,
    Variant,
)

pytestmark = pytest.mark.django_db(transaction=False)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in [
            Brand,
            Category,
            Coupon,
            Order,
            OrderLine,
            Product,
            ProductImage,
            ShippingMethod,
            Variant,
        ]
    }


def test_seed_demo_builds_the_shop_and_a_second_run_duplicates_nothing(settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    # when
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    # then: nothing new on the second run
    assert _counts() == first
    assert first["Product"] >= 200
    assert Category.objects.filter(depth=2).count() >= 10
    assert Category.objects.filter(depth=1).count() >= 5
    assert first["ShippingMethod"] == 3
    assert set(ShippingMethod.objects.values_list("kind", flat=True)) == {
        "flat",
        "free_over",
        "pickup",
    }
    assert set(Coupon.objects.values_list("kind", flat=True)) == {
        "percent",
        "fixed",
        "free_shipping",
    }
    assert Coupon.objects.filter(usage_limit=1).exists()
    assert Coupon.objects.filter(first_order_only=True).exists()
    # every product has 1-3 images with their thumbnails, and a variant
    per_product = Product.objects.annotate(
        n=Count("images", distinct=True), v=Count("variants", distinct=True)
    )
    assert not per_product.filter(n=0).exists()
    assert not per_product.filter(n__gt=3).exists()
    assert not per_product.filter(v=0).exists()
    assert not ProductImage.objects.filter(thumb="").exists()
    assert not ProductImage.objects.filter(card="").exists()
    # clothing comes in sizes, each variant its own SKU
    shirt = Product.objects.get(slug="kemeja-batik-parang")
    assert sorted(v.options["Size"] for v in shirt.variants.all()) == ["L", "M", "S", "XL"]
    assert Variant.objects.filter(compare_at_price__isnull=False).exists()
    assert Product.objects.filter(in_stock=False).exists()
    assert Product.objects.filter(
        available_from__gt=Order.objects.latest("created_at").created_at
    ).exists()
    # past orders from the demo shoppers, through the lifecycle
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"paid", "fulfilled", "delivered", "completed"} <= statuses
    assert set(Order.objects.values_list("email", flat=True)) == {
        "budi@kampung.test",
        "dewi@kampung.test",
        "agus@kampung.test",
    }
    assert Product.objects.filter(sales_count__gt=0).count() >= 10
    assert "products" in out.getvalue()
