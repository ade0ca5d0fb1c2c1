"""Races on PostgreSQL with real threads: one vote per member and answer,
one accepted answer per question."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from community.models import Answer, AnswerVote, Question
from community.services.qa import answer_accept, answer_vote
from community.tests.factories import MemberFactory, answer_make, question_make, trusted
from core.exceptions import ApplicationError

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
