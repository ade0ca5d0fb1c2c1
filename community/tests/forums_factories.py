"""Forum test data: categories, threads and replies made through the
services (so counters, numbers and events are the real ones)."""

from __future__ import annotations

from decimal import Decimal

import factory

from community.models import ForumCategory, TrustLevel
from community.services import forums as services
from community.tests.factories import MemberFactory, trusted


class ForumCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumCategory

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    position = factory.Sequence(lambda n: n)


def member(**kwargs):
    """A regular member (trust level Member: no approval, no wait)."""
    return trusted(MemberFactory(**kwargs), TrustLevel.MEMBER)


def thread_make(
    *, author=None, category=None, title="A thread about coffee", body="Hello there", **kw
):
    return services.thread_create(
        author=author or member(),
        category=category or ForumCategoryFactory(),
        title=title,
        body=body,
        **kw,
    )


def reply_make(thread, *, author=None, body="A reply", **kw):
    return services.post_reply(author=author or member(), thread=thread, body=body, **kw)


def paid_order_for(user, product):
    """A paid order of `product` by `user` (verified owner)."""
    from shop.models import Order, OrderLine

    order = Order.objects.create(
        number=f"K-F{Order.objects.count() + 1:05d}",
        email=user.email,
        user=user,
        status=Order.Status.PAID,
        currency="IDR",
        subtotal=Decimal("1"),
        total=Decimal("1"),
        payment_gateway="bank_transfer",
    )
    variant = product.variants.first()
    OrderLine.objects.create(
        order=order,
        variant=variant,
        product_name=product.name,
        sku=variant.sku,
        unit_price=variant.price,
        quantity=1,
        line_total=variant.price,
    )
    return order
