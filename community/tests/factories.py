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
