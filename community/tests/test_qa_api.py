from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from community.models import Answer, AnswerVote, Question
from community.services import moderation
from community.tests.factories import (
    MemberFactory,
    answer_make,
    buy,
    make_moderator,
    question_make,
    trusted,
)
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

QUESTIONS = "/api/v1/community/questions/"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_listing_questions_by_product_and_unanswered_in_constant_queries():
    product = ProductFactory()
    counts = []
    for n in (2, 10):
        Question.objects.all().delete()
        for i in range(n):
            question = question_make(product=product, title=f"Question number {i} here?")
            if i % 2:
                answer_make(question)
        with CaptureQueriesContext(connection) as queries:
            response = _client().get(QUESTIONS, {"product": product.slug})
        assert response.status_code == 200
        assert response.data["count"] == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
    unanswered = _client().get(QUESTIONS, {"unanswered": "true"}).data
    assert unanswered["count"] == 5
    assert all(q["answer_count"] == 0 for q in unanswered["results"])
    assert _client().get(QUESTIONS, {"product": "nope"}).data["count"] == 0


def test_asking_answering_voting_and_accepting_through_the_api():
    # given
    product = ProductFactory()
    asker, answerer, voter = (trusted(MemberFactory()) for _ in range(3))
    buy(answerer, product)
    # ask
    asked = _client(asker).post(
        QUESTIONS,
        {"title": "Is the batik hand-drawn?", "body": "Sure?", "product": product.slug},
        format="json",
    )
    assert asked.status_code == 201, asked.data
    question_id = asked.data["id"]
    assert asked.data["product"]["slug"] == product.slug
    # answer
    answered = _client(answerer).post(
        f"{QUESTIONS}{question_id}/answers/", {"body": "Yes, tulis."}, format="json"
    )
    assert answered.status_code == 201
    assert answered.data["verified_owner"] is True
    answer_id = answered.data["id"]
    # vote
    voted = _client(voter).post(
        f"/api/v1/community/answers/{answer_id}/vote/", {"value": 1}, format="json"
    )
    assert (voted.status_code, voted.data["score"], voted.data["my_vote"]) == (200, 1, 1)
    # accept
    accepted = _client(asker).post(f"/api/v1/community/answers/{answer_id}/accept/")
    assert accepted.status_code == 200 and accepted.data["is_accepted"] is True
    detail = _client(voter).get(f"{QUESTIONS}{question_id}/").data
    assert detail["accepted_answer_id"] == answer_id
    assert detail["answers"][0]["my_vote"] == 1
    # unaccept
    assert (
        _client(asker).delete(f"/api/v1/community/answers/{answer_id}/accept/").status_code == 200
    )
    assert not Answer.objects.filter(is_accepted=True).exists()


def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_written():
    member = trusted(MemberFactory())
    short = _client(member).post(QUESTIONS, {"title": "Too short"}, format="json")
    assert short.status_code == 422
    assert short.data["code"] == "too_short"
    assert "at least 10" in short.data["detail"]
    long = _client(member).post(QUESTIONS, {"title": "x" * 201}, format="json")
    assert long.status_code == 400
    empty = _client(member).post(QUESTIONS, {"title": ""}, format="json")
    assert empty.status_code == 400
    assert not Question.objects.exists()


def test_self_votes_and_accepting_for_others_are_refused():
    question = question_make()
    answer = answer_make(question)
    own = _client(answer.author).post(
        f"/api/v1/community/answers/{answer.pk}/vote/", {"value": 1}, format="json"
    )
    assert own.status_code == 403 and own.data["code"] == "own_content"
    stranger = _client(trusted(MemberFactory())).post(
        f"/api/v1/community/answers/{answer.pk}/accept/"
    )
    assert stranger.status_code == 403
    assert not AnswerVote.objects.exists()
    assert not Answer.objects.filter(is_accepted=True).exists()


def test_editing_or_deleting_another_members_content_is_refused_a_moderator_may():
    question = question_make()
    answer = answer_make(question)
    other = _client(trusted(MemberFactory()))
    assert (
        other.patch(f"/api/v1/community/answers/{answer.pk}/", {"body": "x!"}, format="json")
    ).status_code == 403
    assert other.delete(f"{QUESTIONS}{question.pk}/").status_code == 403
    assert Answer.objects.get(pk=answer.pk).body_md == "Yes, it is hand-drawn."
    assert Question.objects.get(pk=question.pk).status == "published"

    moderator = _client(make_moderator())
    edited = moderator.patch(
        f"/api/v1/community/answers/{answer.pk}/", {"body": "Fixed by a moderator."}, format="json"
    )
    assert edited.status_code == 200 and edited.data["body"] == "Fixed by a moderator."
    assert moderator.delete(f"{QUESTIONS}{question.pk}/").status_code == 204
    assert Question.objects.get(pk=question.pk).status == "removed"


def test_the_author_edits_and_deletes_their_own():
    question = question_make()
    client = _client(question.author)
    edited = client.patch(
        f"{QUESTIONS}{question.pk}/", {"title": "A better title for it?"}, format="json"
    )
    assert edited.status_code == 200 and edited.data["title"] == "A better title for it?"
    assert client.delete(f"{QUESTIONS}{question.pk}/").status_code == 204
    assert _client().get(f"{QUESTIONS}{question.pk}/").status_code == 404


def test_hidden_content_is_invisible_to_others_but_not_to_its_author():
    question = question_make()
    answer = answer_make(question, body="Hidden soon.")
    moderation.content_hide(content=answer, moderator=make_moderator())
    public = _client(trusted(MemberFactory())).get(f"{QUESTIONS}{question.pk}/").data
    assert public["answers"] == []
    own = _client(answer.author).get(f"{QUESTIONS}{question.pk}/").data
    assert [a["status"] for a in own["answers"]] == ["hidden"]
    vote = _client(trusted(MemberFactory())).post(
        f"/api/v1/community/answers/{answer.pk}/vote/", {"value": 1}, format="json"
    )
    assert vote.status_code == 404

    moderation.content_hide(content=question, moderator=make_moderator())
    assert _client().get(f"{QUESTIONS}{question.pk}/").status_code == 404
    assert _client().get(QUESTIONS).data["count"] == 0


def test_answering_a_duplicate_through_the_api_is_refused():
    from community.services.qa import question_close_duplicate

    original, duplicate = question_make(), question_make(title="Is it hand-drawn really?")
    question_close_duplicate(question=duplicate, original=original, moderator=make_moderator())
    response = _client(trusted(MemberFactory())).post(
        f"{QUESTIONS}{duplicate.pk}/answers/", {"body": "Yes."}, format="json"
    )
    assert response.status_code == 422 and response.data["code"] == "closed"
    assert not Answer.objects.exists()
    assert _client().get(f"{QUESTIONS}{duplicate.pk}/").data["closed_as_duplicate_of_id"] == (
        original.pk
    )
