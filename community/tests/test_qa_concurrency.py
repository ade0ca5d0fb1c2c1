"""Races on PostgreSQL with real threads: one vote per member and answer,
one accepted answer per question, a buyer asked about one question a week."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from community.models import Answer, AnswerVote, BuyerQuestionRequest, Question
from community.services.qa import answer_accept, answer_vote, question_ask_buyers
from community.tests.factories import (
    MemberFactory,
    answer_make,
    buy,
    question_make,
    trusted,
)
from core.exceptions import ApplicationError
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, fn):
        try:
            barrier.wait()
            outcomes[index] = fn()
        except (ApplicationError, Exception) as error:  # noqa: BLE001 - recorded for the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_one_vote_per_member_and_answer_under_concurrency(postgres_required):
    # given
    answer = answer_make(question_make())
    voter = trusted(MemberFactory())
    # when the same member votes up six times at once
    outcomes = _race([lambda: answer_vote(answer=answer, voter=voter, value=1)] * 6)
    # then one vote counts, and the score agrees with it
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert AnswerVote.objects.filter(answer=answer, voter=voter).count() == 1
    assert Answer.objects.get(pk=answer.pk).score == 1


def test_many_members_voting_at_once_all_count(postgres_required):
    answer = answer_make(question_make())
    voters = [trusted(MemberFactory()) for _ in range(6)]
    _race([lambda v=v: answer_vote(answer=answer, voter=v, value=1) for v in voters])
    assert AnswerVote.objects.filter(answer=answer).count() == 6
    assert Answer.objects.get(pk=answer.pk).score == 6


def test_one_accepted_answer_under_concurrent_accepts(postgres_required):
    # given a question with four answers
    question = question_make()
    answers = [answer_make(question, body=f"Answer number {i}") for i in range(4)]
    # when the asker accepts all four at once
    outcomes = _race([lambda a=a: answer_accept(answer=a, user=question.author) for a in answers])
    # then exactly one is accepted, and the question points at it
    assert not [o for o in outcomes if isinstance(o, Exception)]
    accepted = list(Answer.objects.filter(question=question, is_accepted=True))
    assert len(accepted) == 1
    assert Question.objects.get(pk=question.pk).accepted_answer_id == accepted[0].pk


def test_a_buyer_is_asked_once_a_week_when_questions_are_handled_at_once(
    postgres_required, settings
):
    # given a member who bought six products, each with a new question that
    # asked nobody yet (the questions came before the purchases)
    settings.QA_BUYERS_TO_ASK = 1
    products = [ProductFactory() for _ in range(6)]
    questions = [
        question_make(product=product, title=f"Question number {i} here?")
        for i, product in enumerate(products)
    ]
    buyer = MemberFactory()
    for product in products:
        buy(buyer, product)
    # when two workers (six here) ask buyers about the questions at once
    outcomes = _race([lambda q=q: question_ask_buyers(question_id=q.pk) for q in questions])
    # then the buyer was asked about one question only
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert BuyerQuestionRequest.objects.filter(buyer=buyer).count() == 1
    assert sum(len(asked) for asked in outcomes) == 1
