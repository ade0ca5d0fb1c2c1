"""Contribution that sells: the reviews and answers a buyer read before
paying earn their authors a bonus, pending until the order's return window
passes, reversed if the order is cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from community.models import ContentStatus, Review
from community.reading import REVIEW, content_read, reads_record
from community.services.qa import answer_post
from community.services.reviews import review_create
from community.tests.factories import (
    MemberFactory,
    paid_order,
    question_make,
    trusted,
)
from loyalty import rule_handlers as h
from loyalty.models import Award, RuleCode
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.rules import earning_rules_ensure
from shop.events import OrderCancelled, OrderPaid
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules():
    cache.clear()
    earning_rules_ensure()


def _member():
    return trusted(MemberFactory(), 2)


def _review(product, **kwargs):
    author = _member()
    paid_order(author, product)
    return review_create(
        user=author, product=product, stars=5, title="Lovely weave", body="Soft.", **kwargs
    )


def _paid(buyer, product, *, order_id=501, at=None) -> OrderPaid:
    return OrderPaid(
        order_id=order_id,
        number=f"K-{order_id}",
        user_id=buyer.pk,
        total="500000.00",
        currency="IDR",
        product_ids=[product.pk],
        occurred_at=at or timezone.now() + dt.timedelta(seconds=1),
    )


def _sold_awards():
    return Award.objects.filter(rule=RuleCode.CONTRIBUTION_SOLD)


def test_reviews_and_answers_a_buyer_read_earn_their_authors_a_pending_bonus_once(client):
    # given: a review and an answer about the product, and a member who reads
    # them (the product page shows the review, the question page the answer)
    product = ProductFactory()
    review = _review(product)
    question = question_make(_member(), product=product)
    answerer = _member()
    answer = answer_post(question=question, author=answerer, body="Yes, hand-drawn.")
    buyer = _member()
    client.force_login(buyer)
    assert client.get(product.get_absolute_url()).status_code == 200
    assert client.get(question.get_absolute_url()).status_code == 200

    # when: the buyer pays for it (the event is delivered twice)
    event = _paid(buyer, product)
    h.contribution_sold(event)
    h.contribution_sold(event)

    # then: each author earned the bonus once, pending on that order
    awards = {a.user_id: a for a in _sold_awards()}
    assert set(awards) == {review.author_id, answerer.pk}
    assert awards[review.author_id].subject == f"review:{review.pk}:order:{event.order_id}"
    assert awards[answerer.pk].subject == f"answer:{answer.pk}:order:{event.order_id}"
    assert all(a.pending and a.hold_order_id == event.order_id for a in awards.values())
    assert balance_of(user_id=review.author_id).pending == 25
    assert list(ledger_mismatches()) == []


def test_what_was_read_after_paying_or_not_at_all_earns_nothing(client):
    # given
    product = ProductFactory()
    _review(product)
    buyer = _member()
    paid_at = timezone.now() - dt.timedelta(minutes=5)
    client.force_login(buyer)
    client.get(product.get_absolute_url())  # read after the payment
    stranger = _member()  # read nothing

    # when
    h.contribution_sold(_paid(buyer, product, order_id=1, at=paid_at))
    h.contribution_sold(_paid(stranger, product, order_id=2))

    # then
    assert not _sold_awards().exists()


def test_a_visitor_records_nothing_and_own_or_removed_content_earns_nothing(client):
    # given: the buyer wrote one review; another was removed after being read
    product = ProductFactory()
    buyer = _member()
    paid_order(buyer, product)
    own = review_create(user=buyer, product=product, stars=4, title="Mine", body="Mine.")
    removed = _review(product)
    client.get(product.get_absolute_url())  # a visitor: nothing recorded
    client.force_login(buyer)
    client.get(reverse("community:review_list", args=[product.slug]))
    Review.objects.filter(pk=removed.pk).update(status=ContentStatus.REMOVED)

    # when
    read = content_read(
        user_id=buyer.pk, product_ids=[product.pk], before=timezone.now() + dt.timedelta(1)
    )
    h.contribution_sold(_paid(buyer, product))

    # then
    assert own.pk not in [item["id"] for item in read]
    assert read == []
    assert not _sold_awards().exists()


def test_a_cancelled_order_takes_the_bonus_back():
    # given: an author rewarded for an order
    product = ProductFactory()
    review = _review(product)
    buyer = _member()
    reads_record(user=buyer, product_id=product.pk, items=[(REVIEW, review.pk)])
    paid = _paid(buyer, product)
    h.contribution_sold(paid)
    assert balance_of(user_id=review.author_id).pending == 25

    # when
    h.purchase_cancelled(
        OrderCancelled(
            order_id=paid.order_id,
            user_id=buyer.pk,
            was_paid=True,
            occurred_at=paid.occurred_at + dt.timedelta(minutes=1),
        )
    )

    # then
    assert balance_of(user_id=review.author_id).pending == 0
    assert list(ledger_mismatches()) == []


def test_one_order_rewards_each_author_once_and_at_most_five_authors():
    # given: seven authors, one of them with two reviews read
    products = [ProductFactory() for _ in range(3)]
    reviews = [_review(products[n % 3]) for n in range(7)]
    second = review_create(
        user=reviews[0].author,
        product=products[1],
        stars=3,
        title="Another",
        body="Also fine.",
    )
    buyer = _member()
    for review in [*reviews, second]:
        reads_record(user=buyer, product_id=review.product_id, items=[(REVIEW, review.pk)])

    # when
    h.contribution_sold(
        OrderPaid(
            order_id=9,
            number="K-9",
            user_id=buyer.pk,
            total="900000.00",
            currency="IDR",
            product_ids=[p.pk for p in products],
            occurred_at=timezone.now() + dt.timedelta(seconds=1),
        )
    )

    # then
    authors = list(_sold_awards().values_list("user_id", flat=True))
    assert len(authors) == len(set(authors)) == h.CONTRIBUTIONS_PER_ORDER
