from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from community.services import review_requests
from community.tests.factories import MemberFactory, paid_order, review_write, trusted
from core.models import OutgoingEmail
from shop.models import OrderHistory
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _delivered(user, *products, days_ago: int, language: str = "en"):
    order = paid_order(user, *products, status="delivered", language=language)
    entry = OrderHistory.objects.create(order=order, from_status="fulfilled", to_status="delivered")
    OrderHistory.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return order


def _links(body: str) -> list[str]:
    return re.findall(r"https?://\S+/community/reviews/from-email/[^/\s]+/", body)


def test_one_email_per_order_after_the_delay_listing_unreviewed_products():
    # given: delivered 8 days ago, one of two products already reviewed
    buyer = trusted(MemberFactory(), 2)
    kopi, teh = ProductFactory(name="Kopi Gayo"), ProductFactory(name="Teh Melati")
    order = _delivered(buyer, kopi, teh, days_ago=8)
    review_write(buyer, teh)
    recent = _delivered(trusted(MemberFactory(), 2), kopi, days_ago=2)

    # when: the task runs twice
    first = review_requests.review_requests_send()
    second = review_requests.review_requests_send()

    # then
    assert (first, second) == (1, 0)
    email = OutgoingEmail.objects.get()
    assert email.key == review_requests.email_key(order.pk)
    assert email.to == [buyer.email]
    assert "Kopi Gayo" in email.body_text and "Teh Melati" not in email.body_text
    assert len(_links(email.body_text)) == 1
    assert not OutgoingEmail.objects.filter(key=review_requests.email_key(recent.pk)).exists()


def test_no_email_when_everything_is_reviewed_or_the_order_was_refunded():
    buyer = trusted(MemberFactory(), 2)
    kopi = ProductFactory()
    _delivered(buyer, kopi, days_ago=9)
    review_write(buyer, kopi)
    refunded = _delivered(trusted(MemberFactory(), 2), ProductFactory(), days_ago=9)
    refunded.status = "refunded"
    refunded.save(update_fields=["status"])

    assert review_requests.review_requests_send() == 0
    assert not OutgoingEmail.objects.exists()


def test_the_email_is_written_in_the_order_s_language(settings):
    settings.REVIEW_REQUEST_DAYS = 3
    buyer = MemberFactory()
    product = ProductFactory(name="Coffee beans")
    product.name_ind = "Biji kopi"
    product.save(update_fields=["name_ind"])
    _delivered(buyer, product, days_ago=4, language="id")

    review_requests.review_requests_send()

    email = OutgoingEmail.objects.get()
    assert email.language == "id"
    assert "Biji kopi" in email.body_text and "Coffee beans" not in email.body_text
    assert "/id/community/reviews/from-email/" in email.body_text


def test_the_signed_link_opens_the_form_for_its_user_only(client):
    buyer, other = MemberFactory(), MemberFactory()
    product = ProductFactory()
    order = _delivered(buyer, product, days_ago=8)
    review_requests.review_requests_send()
    [link] = _links(OutgoingEmail.objects.get().body_text)
    path = link.split("://", 1)[1].split("/", 1)[1]
    path = "/" + path

    # a visitor is sent to sign in first, and comes back to the link
    visitor = client.get(path)
    assert visitor.status_code == 302 and "/accounts/login/" in visitor["Location"]
    # another account: refused
    client.force_login(other)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "belongs to another account" in refused.content.decode()
    # the order's own account: the review form of that product
    client.force_login(buyer)
    opened = client.get(path)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("community:review_write", args=[product.slug])
    # a tampered or expired link
    assert client.get(path.replace("from-email/", "from-email/x")).status_code == 400
    token = review_requests.review_link_token(
        order_id=order.pk, user_id=buyer.pk, product_id=product.pk
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(review_requests, "link_max_age", lambda: timedelta(seconds=-1))
        expired = client.get(reverse("community:review_from_email", args=[token]))
    assert expired.status_code == 410
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="another salt")
