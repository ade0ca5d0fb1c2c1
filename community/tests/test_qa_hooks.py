"""What the Q&A tells other apps (QUESTION_FACTS, QUESTION_TOP_ANSWER) and
asks them (QUESTION_PANELS on a question's page, QUESTION_MARKS on the list),
each once per request whatever the page holds."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.safestring import mark_safe

from community.models import ContentStatus
from community.selectors.qa import question_facts, question_top_answer
from community.services import moderation
from community.services.qa import answer_accept, answer_vote, question_close_duplicate
from community.tests.factories import (
    MemberFactory,
    answer_make,
    make_moderator,
    question_make,
    trusted,
)
from core import hooks

pytestmark = pytest.mark.django_db


def _voter():
    return trusted(MemberFactory())


# ------------------------------------------------------------ QUESTION_FACTS
def test_question_facts_describe_every_status_in_one_query(django_assert_num_queries):
    # given
    moderator = make_moderator()
    open_question = question_make(title="Is the open one still open?")
    answered = question_make(title="Has this one an accepted answer?")
    accepted = answer_make(answered)
    answer_accept(answer=accepted, user=answered.author)
    closed = question_make(title="Is this one a duplicate of it?")
    question_close_duplicate(question=closed, original=open_question, moderator=moderator)
    removed = question_make(title="Was this one deleted by its author?")
    moderation.content_remove(content=removed, actor=removed.author)
    ids = [open_question.pk, answered.pk, closed.pk, removed.pk, 10**12]

    # when
    with django_assert_num_queries(1):
        facts = question_facts(ids)

    # then
    assert set(facts) == set(ids[:4])
    assert facts[open_question.pk] == {
        "id": open_question.pk,
        "author_id": open_question.author_id,
        "title": "Is the open one still open?",
        "url": open_question.get_absolute_url(),
        "status": "published",
        "is_public": True,
        "is_closed": False,
        "accepted_answer_id": None,
        "accepted_answer_author_id": None,
    }
    assert facts[answered.pk]["accepted_answer_id"] == accepted.pk
    assert facts[answered.pk]["accepted_answer_author_id"] == accepted.author_id
    assert facts[closed.pk]["is_closed"] is True
    assert (facts[removed.pk]["status"], facts[removed.pk]["is_public"]) == ("removed", False)


def test_the_community_answers_the_facts_hooks():
    question = question_make()
    assert hooks.call_first(hooks.QUESTION_FACTS, [question.pk])[question.pk]["id"] == question.pk
    assert hooks.call_first(hooks.QUESTION_TOP_ANSWER, question.pk) is None


# ------------------------------------------------------- QUESTION_TOP_ANSWER
def test_the_top_answer_is_the_best_scored_published_one_oldest_first_on_a_tie(
    django_assert_num_queries,
):
    question = question_make()
    oldest = answer_make(question, body="The oldest answer.")
    tied = answer_make(question, body="Tied with the oldest.")
    best = answer_make(question, body="The best answer.")
    hidden = answer_make(question, body="Best of all, but hidden.")
    for answer, votes in ((oldest, 1), (tied, 1), (best, 2), (hidden, 3)):
        for _ in range(votes):
            answer_vote(answer=answer, voter=_voter(), value=1)
    hidden = moderation.content_hide(content=hidden, moderator=make_moderator())

    with django_assert_num_queries(1):
        top = question_top_answer(question.pk)
    without_best = question_top_answer(question.pk, exclude_author_ids=[best.author_id])

    assert top == {"answer_id": best.pk, "author_id": best.author_id, "score": 2}
    assert without_best["answer_id"] == oldest.pk
    assert hidden.status == ContentStatus.HIDDEN


# ----------------------------------------------------------- QUESTION_PANELS
def test_a_question_page_asks_the_panels_once_with_the_questions_facts(client):
    # given a question with an accepted answer among several
    question = question_make(title="Does the panel hear of this question?")
    answers = [answer_make(question, body=f"Answer {n}.") for n in range(3)]
    answer_accept(answer=answers[1], user=question.author)
    calls = []

    def panel(*, request, question):
        calls.append(question)
        return [{"code": "test", "html": mark_safe('<p id="test-panel">A panel</p>')}]

    # when
    with hooks.registered(hooks.QUESTION_PANELS, panel):
        response = client.get(question.get_absolute_url())

    # then
    html = response.content.decode()
    assert '<p id="test-panel">A panel</p>' in html
    assert html.index("test-panel") < html.index('id="answers-title"')
    assert len(calls) == 1
    assert calls[0]["id"] == question.pk
    assert calls[0]["accepted_answer_id"] == answers[1].pk
    assert calls[0]["accepted_answer_author_id"] == answers[1].author_id
    assert calls[0]["url"] == question.get_absolute_url()


# ------------------------------------------------------------ QUESTION_MARKS
def test_the_list_asks_for_marks_once_for_all_its_questions(client):
    questions = [question_make(title=f"Listed question number {n}?") for n in range(4)]
    calls = []

    def marks(question_ids):
        calls.append(sorted(question_ids))
        return {questions[2].pk: [{"label": "+75", "title": "Bounty: 75 points"}]}

    with hooks.registered(hooks.QUESTION_MARKS, marks):
        response = client.get(reverse("community:questions"))

    assert calls == [sorted(q.pk for q in questions)]
    html = response.content.decode()
    assert html.count("+75") == 1
    assert "Bounty: 75 points" in html
    row = html[html.index("Listed question number 2?") :]
    assert row.index("+75") < row.index("Listed question number 1?")


def test_the_product_section_asks_for_marks_once_for_all_its_questions_on_every_render(client):
    # given a product with three questions shown in its section
    from shop.tests.factories import ProductFactory

    product = ProductFactory()
    questions = [
        question_make(product=product, title=f"Section question number {n}?") for n in range(3)
    ]
    calls = []
    marked = {questions[1].pk: "+75"}

    def marks(question_ids):
        calls.append(sorted(question_ids))
        return {
            pk: [{"label": label, "title": f"Bounty: {label[1:]} points"}]
            for pk, label in marked.items()
        }

    with hooks.registered(hooks.QUESTION_MARKS, marks):
        # when the page is rendered twice (the second from the stored section)
        first = client.get(product.get_absolute_url()).content.decode()
        marked = {questions[1].pk: "+90"}
        second = client.get(product.get_absolute_url()).content.decode()

    # then each render asked once for all three, and the mark sits by its question
    assert calls == [sorted(q.pk for q in questions)] * 2
    assert first.count(">+75<") == 1
    assert "Bounty: 75 points" in first
    row = first[first.index("Section question number 1?") :]
    assert row.index("+75") < row.index("Section question number 0?")
    assert "kp-question-marks" not in first
    # the mark changed without a new question: the stored section still shows it
    assert "Bounty: 90 points" in second
    assert "+75" not in second
