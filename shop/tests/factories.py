from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from shop.models import Brand, Category, Coupon, Order, Product, ShippingMethod, Variant
from shop.payments.base import sign
from shop.payments.test_card import SIGNATURE_HEADER, TestCardGateway
from shop.services.cart import cart_add, cart_for_session, cart_for_user
from shop.services.catalog import product_refresh
from shop.services.checkout import checkout_place_order


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


# ------------------------------------------------------- orders and webhooks
CHECKOUT_ADDRESS = {
    "full_name": "Siti",
    "phone": "0812",
    "line1": "Jl. Melati 12",
    "city": "Yogya",
}

# Every field of the checkout form and the API's address (CHECKOUT_ADDRESS is
# the service's minimum).
FULL_ADDRESS = {
    "full_name": "Siti Rahma",
    "phone": "+62 812 3456 7890",
    "line1": "Jl. Melati 12",
    "line2": "",
    "city": "Yogyakarta",
    "region": "DIY",
    "postal_code": "55281",
}


def order_place(variant, gateway: str = "test_card", *, user=None, quantity: int = 2, **kwargs):
    """An order for `quantity` of `variant`, placed through the real checkout
    service by a guest (or by `user`)."""
    if user is None:
        cart = cart_for_session(session_key=f"s{Order.objects.count()}")
    else:
        cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=quantity, user=user)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email if user else "buyer@example.com",
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway=gateway,
        **kwargs,
    )


def card_webhook(
    order,
    reference: str = "tc_forged",
    *,
    status: str = "succeeded",
    amount=None,
    body: bytes | None = None,
    secret: str | None = None,
):
    """A test card gateway notice for `order`, signed with the configured
    secret (or `secret`): the (body, headers) a webhook view receives."""
    body = body or TestCardGateway.webhook_body(
        order_number=order.number,
        reference=reference,
        amount=order.total if amount is None else amount,
        status=status,
    )
    signature = TestCardGateway.signature(body) if secret is None else sign(secret, body)
    return body, {SIGNATURE_HEADER: signature}
