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


def _pixels(product: Product) -> bytes:
    from PIL import Image

    with product.images.order_by("position").first().card.open("rb") as f:
        return Image.open(f).convert("RGB").tobytes()


def test_demo_pictures_differ_between_two_coffees_and_a_second_draw_is_the_same(settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    from shop.demo import demo_image

    # when
    call_command("seed_demo", stdout=io.StringIO())
    first, second = Product.objects.filter(category__slug="coffee").order_by("pk")[:2]
    # then: each picture is the product's own, and drawing it again is deterministic
    assert _pixels(first) != _pixels(second)
    again = demo_image(name="Kopi Arabika Gayo Natural", category="coffee").read()
    assert again == demo_image(name="Kopi Arabika Gayo Natural", category="coffee").read()
    assert again != demo_image(name="Kopi Arabika Toraja Natural", category="coffee").read()


def test_seed_demo_sends_no_mail_even_when_the_worker_delivers_its_events_later(
    settings, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    from core.mailer import email_send_due
    from core.models import OutboxDelivery, OutboxEvent, OutgoingEmail
    from core.services import outbox_deliver_events, outbox_relay

    # when: the demo loads, then a worker runs what the beat tasks would hand it
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    OutboxDelivery.objects.update(status=OutboxDelivery.Status.PENDING, attempts=0)
    outbox_relay()
    outbox_deliver_events(event_ids=list(OutboxEvent.objects.values_list("pk", flat=True)))
    email_send_due()
    # then: the orders' events were delivered, and no email was recorded or sent
    assert OutboxEvent.objects.filter(event_type="shop.order_paid").exists()
    assert not OutboxEvent.objects.filter(quiet=False).exists()
    assert not OutboxDelivery.objects.exclude(status=OutboxDelivery.Status.DELIVERED).exists()
    assert OutgoingEmail.objects.count() == 0
    assert mailoutbox == []
    # and the load said what it did, step by step
    text = out.getvalue()
    for line in ["Categories: 20", "Brands: 15", "Products 40/214", "Products: 214/214"]:
        assert line in text
    assert "Shipping methods: 3" in text and "Coupons: 5" in text
    assert "Orders 10/30" in text and "no email sent" in text
    assert "skipped" not in text


def test_an_order_outside_the_demo_still_gets_its_email(mailoutbox):
    # given: the handler the demo's orders go through, for an order placed
    # by a real shopper (published outside quiet())
    from core.events import quiet
    from core.mailer import email_record
    from core.models import OutgoingEmail

    # when
    with quiet():
        email_record(key="demo", kind="t", to="a@example.com", subject="s", body_text="b")
    email_record(key="real", kind="t", to="a@example.com", subject="s", body_text="b")
    # then
    assert list(OutgoingEmail.objects.values_list("key", flat=True)) == ["real"]
