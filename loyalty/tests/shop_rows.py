"""Shop rows for loyalty's tests, made through the app registry: loyalty
imports no shop module, tests included (import-linter), and drives the shop
only through its URLs, as a member would."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.apps import apps

_numbers = itertools.count(1)


def product_create(*, launch_at=None, price=Decimal("100000"), stock=5, name=None):
    """A published product with one active variant in stock; its "from"
    price and stock flag set as the shop's catalogue services keep them."""
    Category = apps.get_model("shop", "Category")
    Product = apps.get_model("shop", "Product")
    Variant = apps.get_model("shop", "Variant")
    category = Category.objects.filter(slug="early").first() or Category.objects.add_root(
        {"name": "Early", "slug": "early"}
    )
    number = next(_numbers)
    product = Product.objects.create(
        name=name or f"Drop product {number}",
        slug=f"drop-product-{number}",
        category=category,
        is_published=True,
        available_from=launch_at,
    )
    Variant.objects.create(product=product, sku=f"DROP-{number}", price=price, stock=stock)
    Product.objects.filter(pk=product.pk).update(min_price=price, in_stock=True)
    return product


def variant_of(product):
    return product.variants.get()


def shipping_method_create():
    return apps.get_model("shop", "ShippingMethod").objects.create(
        name="JNE Reguler", price=Decimal("15000")
    )


def orders():
    return apps.get_model("shop", "Order").objects.all()


def cart_lines(user=None):
    lines = apps.get_model("shop", "CartLine").objects.all()
    return lines.filter(cart__user=user) if user is not None else lines


def launch(product, at) -> None:
    apps.get_model("shop", "Product").objects.filter(pk=product.pk).update(available_from=at)
