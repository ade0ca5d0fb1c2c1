from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.tests.factories import UserFactory


class _VerifiedUserFactory(UserFactory):
    class Meta:
        model = "accounts.User"
        skip_postgeneration_save = True

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Verified unless `verified=False` is passed."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MemberFactory(_VerifiedUserFactory):
    """A member with a verified address who joined a month ago."""

    date_joined = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=30))


class NewMemberFactory(_VerifiedUserFactory):
    """A verified address, joined just now: trust level New."""


def make_moderator(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(
        Permission.objects.get(codename="moderate", content_type__app_label="community")
    )
    # Permission caches live on the instance; a fresh one sees the grant.
    return type(user).objects.get(pk=user.pk)


def trusted(user, level: int = 2):
    """Give `user` a locked trust level (tests of the posting rules use it)."""
    from community.services.members import member_profile

    profile = member_profile(user=user)
    profile.trust_level = level
    profile.trust_level_locked = True
    profile.save(update_fields=["trust_level", "trust_level_locked"])
    return user


def poll_make(author=None, *, title: str = "Which colour?", options=("Red", "Green", "Blue"), **kw):
    """A published poll by a trusted member (through the poll service)."""
    from community.services.polls import poll_create

    author = author or trusted(MemberFactory())
    return poll_create(author=author, title=title, options=list(options), **kw)


def bought(user, product) -> None:
    """`user` has a paid order of `product`."""
    from shop.services.orders import order_mark_paid
    from shop.tests.factories import order_place

    order = order_place(product.variants.first(), user=user, quantity=1)
    order_mark_paid(order_id=order.pk, payment_reference=f"T-{order.pk}")


# ------------------------------------------------------------ Q&A helpers
def buy(user, product):
    """A paid order of `product` by `user` (a verified buyer from then on)."""
    from shop.services.orders import order_mark_paid
    from shop.tests.factories import order_place

    order = order_place(product.variants.first(), "bank_transfer", user=user, quantity=1)
    order_mark_paid(order_id=order.pk, payment_reference=f"PAY-{order.pk}")
    return order


def question_make(author=None, *, product=None, title="Is the batik hand-drawn?", body=""):
    """A published question by a trusted member (through the service)."""
    from community.services.qa import question_ask

    author = author or trusted(MemberFactory())
    return question_ask(author=author, title=title, body=body, product=product)


def answer_make(question, author=None, *, body="Yes, it is hand-drawn."):
    from community.services.qa import answer_post

    author = author or trusted(MemberFactory())
    return answer_post(question=question, author=author, body=body)


# ----------------------------------------------------------------- reviews
def paid_order(user, *products, status: str = "paid", language: str = "en"):
    """An order of `user` holding one of each product, in `status` (a real
    purchase for "paid" and later statuses)."""
    from decimal import Decimal

    from shop.models import Order, OrderLine

    order = Order.objects.create(
        number=f"T-{Order.objects.count() + 1:05d}-{user.pk}",
        user=user,
        email=user.email,
        status=status,
        currency="IDR",
        subtotal=Decimal("1"),
        total=Decimal("1"),
        payment_gateway="bank_transfer",
        language=language,
    )
    for product in products:
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


def image_upload(name: str = "photo.jpg", *, size=(64, 48), fmt: str = "JPEG", exif=None):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 120, 40))
    if exif is not None:
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def review_write(user, product, *, stars: int = 5, title: str = "Lovely", body: str = "Nice."):
    from community.services.reviews import review_create

    return review_create(user=user, product=product, stars=stars, title=title, body=body)
