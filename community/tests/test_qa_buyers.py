"""A new product question asks a few recent buyers to help: at most
QA_BUYERS_TO_ASK, never the asker, no buyer more than once a week. Run
through the event bus (the on-commit relay, eager Celery) as in production."""

from __future__ import annotations

import pytest
from django.utils import timezone

from community import notifying
from community.models import BuyerQuestionRequest
from community.services.qa import question_ask_buyers
from community.tests.factories import MemberFactory, buy, question_make, trusted
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(monkeypatch) -> list[dict]:
    """What would be handed to the notification centre."""
    sent: list[dict] = []
    monkeypatch.setattr(notifying, "_send", lambda **kwargs: sent.append(kwargs))
    return sent


def _buyers(product, count: int) -> list:
    buyers = []
    for _ in range(count):
        buyer = MemberFactory()
        buy(buyer, product)
        buyers.append(buyer)
    return buyers


def _ask(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return question_make(**kwargs)


def test_a_product_question_asks_the_most_recent_buyers_but_not_the_asker(
    settings, told, django_capture_on_commit_callbacks
):
    # given five buyers of the product, the asker among them
    settings.QA_BUYERS_TO_ASK = 3
    product = ProductFactory()
    buyers = _buyers(product, 4)
    asker = trusted(MemberFactory())
    buy(asker, product)  # the most recent buyer of all
    # when
    question = _ask(django_capture_on_commit_callbacks, author=asker, product=product)
    # then the three most recent other buyers are asked, once each
    asked = set(BuyerQuestionRequest.objects.values_list("buyer_id", flat=True))
    assert asked == {b.pk for b in buyers[1:]}
    assert {n["user_id"] for n in told} == asked
    notification = told[0]
    assert notification["kind"] == "community.question_for_buyer"
    assert notification["key"] == f"question:{question.pk}:buyer:{notification['user_id']}"
    assert notification["url"] == question.get_absolute_url()
    assert notification["actor_id"] == asker.pk
    assert notification["data"]["product_id"] == product.pk


def test_a_buyer_is_asked_at_most_once_a_week(settings, told, django_capture_on_commit_callbacks):
    settings.QA_BUYERS_TO_ASK = 2
    product = ProductFactory()
    first, second, third = _buyers(product, 3)

    _ask(django_capture_on_commit_callbacks, product=product)
    assert {n["user_id"] for n in told} == {second.pk, third.pk}

    told.clear()
    _ask(django_capture_on_commit_callbacks, product=product, title="Another question, please?")
    assert [n["user_id"] for n in told] == [first.pk]  # the others were asked this week

    # a week later they may be asked again
    BuyerQuestionRequest.objects.update(created_at=timezone.now() - timezone.timedelta(days=8))
    told.clear()
    _ask(django_capture_on_commit_callbacks, product=product, title="A third question here?")
    assert {n["user_id"] for n in told} == {second.pk, third.pk}


def test_a_second_delivery_asks_nobody_new(settings, told, django_capture_on_commit_callbacks):
    settings.QA_BUYERS_TO_ASK = 1
    product = ProductFactory()
    _buyers(product, 3)
    question = _ask(django_capture_on_commit_callbacks, product=product)
    assert len(told) == 1

    assert question_ask_buyers(question_id=question.pk) == []
    assert len(told) == 1
    assert BuyerQuestionRequest.objects.count() == 1


def test_general_and_pending_questions_ask_nobody(told, django_capture_on_commit_callbacks):
    from community.services.qa import question_ask
    from community.tests.factories import NewMemberFactory

    product = ProductFactory()
    _buyers(product, 2)
    _ask(django_capture_on_commit_callbacks)  # general
    with django_capture_on_commit_callbacks(execute=True):
        question_ask(author=NewMemberFactory(), title="Waiting for approval?", product=product)
    assert told == []
    assert not BuyerQuestionRequest.objects.exists()
