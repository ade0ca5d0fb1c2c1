from __future__ import annotations

import pytest
from django.utils import timezone

from community.models import (
    Answer,
    AnswerVote,
    ContentStatus,
    ModerationAction,
    Question,
    QueueItem,
    Revision,
)
from community.services import moderation
from community.services.members import member_restrict
from community.services.qa import (
    answer_accept,
    answer_edit,
    answer_post,
    answer_unaccept,
    answer_vote,
    question_ask,
    question_close_duplicate,
    question_edit,
)
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    answer_make,
    buy,
    make_moderator,
    question_make,
    trusted,
)
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _events(name: str) -> list[dict]:
    return list(
        OutboxEvent.objects.filter(event_type=name)
        .order_by("created_at")
        .values_list("payload", flat=True)
    )


# ------------------------------------------------------------------ asking
def test_a_member_asks_about_a_product_and_question_asked_goes_out():
    # given
    member, product = trusted(MemberFactory()), ProductFactory()
    buy(member, product)
    # when
    question = question_ask(
        author=member, title="Does it fit a size L person?", body="**Really**?", product=product
    )
    # then
    assert question.status == ContentStatus.PUBLISHED
    assert question.body_html == "<p><strong>Really</strong>?</p>"
    [event] = _events("community.question_asked")
    assert event["question_id"] == question.pk
    assert event["product_id"] == product.pk
    assert event["verified_buyer"] is True


@pytest.mark.parametrize(
    ("title", "body", "code"),
    [
        ("", "", "required"),
        ("   ", "", "required"),
        ("Too short", "", "too_short"),
        ("x" * 201, "", "too_long"),
        ("A long enough title?", "y" * 5001, "too_long"),
    ],
)
def test_bad_questions_are_refused_with_a_message_and_nothing_is_written(title, body, code):
    member = trusted(MemberFactory())
    with pytest.raises(ApplicationError) as error:
        question_ask(author=member, title=title, body=body)
    assert error.value.code == code
    assert error.value.message
    assert not Question.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_new_members_question_waits_for_approval_and_is_announced_when_approved():
    new = NewMemberFactory()
    question = question_ask(author=new, title="Where do you ship from?")
    assert question.status == ContentStatus.PENDING
    assert QueueItem.objects.filter(kind="question", object_id=question.pk).exists()
    assert not _events("community.question_asked")

    moderation.content_approve(content=question, moderator=make_moderator())

    assert Question.objects.get(pk=question.pk).status == ContentStatus.PUBLISHED
    assert len(_events("community.question_asked")) == 1


# ---------------------------------------------------------------- answering
def test_an_answer_by_a_buyer_is_verified_and_by_staff_official():
    product = ProductFactory()
    question = question_make(product=product)
    buyer, staff = trusted(MemberFactory()), make_moderator()
    buy(buyer, product)

    by_buyer = answer_make(question, buyer)
    by_staff = answer_make(question, staff, body="It ships from Yogyakarta.")
    by_other = answer_make(question)

    assert (by_buyer.verified_owner, by_buyer.official) == (True, False)
    assert (by_staff.verified_owner, by_staff.official) == (False, True)
    assert (by_other.verified_owner, by_other.official) == (False, False)
    assert Question.objects.get(pk=question.pk).answer_count == 3
    events = _events("community.answer_posted")
    assert [(e["verified_buyer"], e["official"]) for e in events] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert all(e["question_author_id"] == question.author_id for e in events)


def test_an_empty_or_too_long_answer_is_refused_and_nothing_is_written():
    question = question_make()
    member = trusted(MemberFactory())
    for body, code in [("", "required"), ("  \n ", "required"), ("a" * 5001, "too_long")]:
        with pytest.raises(ApplicationError) as error:
            answer_post(question=question, author=member, body=body)
        assert error.value.code == code
    assert not Answer.objects.exists()
    assert Question.objects.get(pk=question.pk).answer_count == 0


def test_answering_a_question_closed_as_duplicate_is_refused():
    # given
    original, duplicate = question_make(), question_make(title="Is it really hand-drawn?")
    moderator = make_moderator()
    question_close_duplicate(question=duplicate, original=original, moderator=moderator)
    # when
    with pytest.raises(ApplicationError) as error:
        answer_post(question=duplicate, author=trusted(MemberFactory()), body="Yes it is.")
    # then
    assert error.value.code == "closed"
    assert "duplicate" in error.value.message
    assert not Answer.objects.exists()
    action = ModerationAction.objects.get(action=ModerationAction.Action.DUPLICATE)
    assert action.object_id == duplicate.pk
    assert action.moderator == moderator
    assert action.data["original_id"] == original.pk


def test_only_moderators_close_as_duplicate():
    original, duplicate = question_make(), question_make(title="Is it really hand-drawn?")
    with pytest.raises(ApplicationError):
        question_close_duplicate(question=duplicate, original=original, moderator=original.author)
    assert Question.objects.get(pk=duplicate.pk).closed_as_duplicate_of is None
    assert not ModerationAction.objects.exists()


def test_answering_a_hidden_question_is_refused():
    question = question_make()
    moderation.content_hide(content=question, moderator=make_moderator())
    with pytest.raises(ApplicationError) as error:
        answer_post(question=question, author=trusted(MemberFactory()), body="Hello there.")
    assert error.value.status_code == 404
    assert not Answer.objects.exists()


def test_hiding_an_answer_recounts_the_question():
    question = question_make()
    answer = answer_make(question)
    moderation.content_hide(content=answer, moderator=make_moderator())
    assert Question.objects.get(pk=question.pk).answer_count == 0
    moderation.content_restore(content=answer, moderator=make_moderator())
    assert Question.objects.get(pk=question.pk).answer_count == 1


# ------------------------------------------------------------------ editing
def test_editing_another_members_answer_is_refused_and_nothing_changes():
    answer = answer_make(question_make())
    other = trusted(MemberFactory())
    with pytest.raises(ApplicationError) as error:
        answer_edit(answer=answer, editor=other, body="Vandalised text")
    assert error.value.status_code == 403
    assert Answer.objects.get(pk=answer.pk).body_md == "Yes, it is hand-drawn."
    assert not Revision.objects.exists()


def test_the_author_edits_within_the_window_and_a_moderator_any_time():
    question = question_make()
    question_edit(question=question, editor=question.author, title="Is the batik really tulis?")
    assert Question.objects.get(pk=question.pk).title == "Is the batik really tulis?"
    Question.objects.filter(pk=question.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=30)
    )
    with pytest.raises(ApplicationError) as error:
        question_edit(question=question, editor=question.author, title="A title after the window")
    assert error.value.code == "edit_window_passed"
    question_edit(question=question, editor=make_moderator(), title="Moderator fixed the title")
    assert Question.objects.get(pk=question.pk).title == "Moderator fixed the title"
    assert Revision.objects.count() == 2


# ------------------------------------------------------------------- voting
def test_votes_count_change_and_withdraw():
    answer = answer_make(question_make())
    voter, other = trusted(MemberFactory()), trusted(MemberFactory())

    assert answer_vote(answer=answer, voter=voter, value=1).score == 1
    assert answer_vote(answer=answer, voter=other, value=1).score == 2
    assert answer_vote(answer=answer, voter=voter, value=-1).score == 0  # changed
    assert answer_vote(answer=answer, voter=voter, value=-1).score == 0  # same: nothing
    assert answer_vote(answer=answer, voter=voter, value=0).score == 1  # withdrawn

    assert list(AnswerVote.objects.values_list("voter_id", "value")) == [(other.pk, 1)]
    assert [e["value"] for e in _events("community.answer_voted")] == [1, 1, -1, 0]


def test_voting_on_your_own_answer_is_refused():
    answer = answer_make(question_make())
    with pytest.raises(ApplicationError) as error:
        answer_vote(answer=answer, voter=answer.author, value=1)
    assert "own answer" in error.value.message
    assert not AnswerVote.objects.exists()
    assert Answer.objects.get(pk=answer.pk).score == 0
    assert not _events("community.answer_voted")


def test_voting_on_a_hidden_answer_is_refused():
    answer = answer_make(question_make())
    moderation.content_hide(content=answer, moderator=make_moderator())
    with pytest.raises(ApplicationError) as error:
        answer_vote(answer=answer, voter=trusted(MemberFactory()), value=1)
    assert error.value.code == "not_visible"
    assert not AnswerVote.objects.exists()
    assert Answer.objects.get(pk=answer.pk).score == 0


def test_a_banned_member_cannot_vote():
    answer = answer_make(question_make())
    member = trusted(MemberFactory())
    member_restrict(
        moderator=make_moderator(),
        user=member,
        action="ban",
        until=timezone.now() + timezone.timedelta(days=1),
        reason="Spam",
    )
    with pytest.raises(ApplicationError) as error:
        answer_vote(answer=answer, voter=member, value=1)
    assert error.value.code == "banned"
    assert not AnswerVote.objects.exists()


def test_a_bad_vote_value_is_refused():
    answer = answer_make(question_make())
    with pytest.raises(ApplicationError):
        answer_vote(answer=answer, voter=trusted(MemberFactory()), value=5)
    assert not AnswerVote.objects.exists()


# ---------------------------------------------------------------- accepting
def test_the_asker_accepts_changes_and_unaccepts_with_events():
    question = question_make()
    first, second = answer_make(question), answer_make(question, body="Another answer.")

    answer_accept(answer=first, user=question.author)
    answer_accept(answer=second, user=question.author)

    assert Question.objects.get(pk=question.pk).accepted_answer_id == second.pk
    assert list(Answer.objects.filter(is_accepted=True).values_list("pk", flat=True)) == [second.pk]
    accepted = _events("community.answer_accepted")
    unaccepted = _events("community.answer_unaccepted")
    assert [e["answer_id"] for e in accepted] == [first.pk, second.pk]
    assert [e["answer_id"] for e in unaccepted] == [first.pk]

    answer_unaccept(answer=second, user=question.author)
    assert Question.objects.get(pk=question.pk).accepted_answer_id is None
    assert not Answer.objects.filter(is_accepted=True).exists()
    assert len(_events("community.answer_unaccepted")) == 2


def test_accepting_on_someone_elses_question_is_refused():
    question = question_make()
    answer = answer_make(question)
    stranger = trusted(MemberFactory())
    with pytest.raises(ApplicationError) as error:
        answer_accept(answer=answer, user=stranger)
    assert error.value.status_code == 403
    assert "asked" in error.value.message
    assert not Answer.objects.filter(is_accepted=True).exists()
    assert Question.objects.get(pk=question.pk).accepted_answer_id is None
    assert not _events("community.answer_accepted")


def test_a_moderator_may_accept_for_the_asker():
    question = question_make()
    answer = answer_make(question)
    answer_accept(answer=answer, user=make_moderator())
    assert Answer.objects.get(pk=answer.pk).is_accepted


def test_a_hidden_accepted_answer_is_not_shown_as_accepted_until_restored():
    question = question_make()
    answer = answer_make(question)
    answer_accept(answer=answer, user=question.author)
    moderator = make_moderator()

    moderation.content_hide(content=answer, moderator=moderator)
    assert Question.objects.get(pk=question.pk).accepted_answer_id is None

    moderation.content_restore(content=answer, moderator=moderator)
    assert Question.objects.get(pk=question.pk).accepted_answer_id == answer.pk
