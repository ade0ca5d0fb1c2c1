from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from shop.models import Brand, Category, Coupon, Product, ShippingMethod, Variant
from shop.services.catalog import product_refresh


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


def category_create(name: str = "Batik", parent: Category | None = None) -> Category:
    from django.utils.text import slugify

    slug = slugify(name)
    existing = Category.objects.filter(slug=slug).first()
    if existing:
        return existing
    if parent is None:
        return Category.objects.add_root({"name": name, "slug": slug})
    return Category.objects.add_child(parent, {"name": name, "slug": slug})


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        # The variant hook refreshes denormalised columns; a save after it
        # would overwrite them with this stale instance.
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.LazyFunction(category_create)
    brand = factory.SubFactory(BrandFactory)
    description = "A **fine** product."
    is_published = True

    @factory.post_generation
    def variant(self, create, extracted, **kwargs):
        """Every product gets its default variant: ProductFactory(variant__stock=3)."""
        if not create:
            return
        Variant.objects.create(
            product=self,
            sku=kwargs.get("sku", f"SKU-{self.pk}"),
            price=kwargs.get("price", Decimal("100000")),
            stock=kwargs.get("stock", 10),
        )
        product_refresh(product_id=self.pk)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"VAR-{n}")
    price = Decimal("50000")
    stock = 10


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    name = "JNE Reguler"
    kind = ShippingMethod.Kind.FLAT
    price = Decimal("15000")


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"HEMAT{n}")
    kind = Coupon.Kind.PERCENT
    value = Decimal("10")
