from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.events import PollCreated, PollVoted
from community.models import (
    ContentStatus,
    ModerationAction,
    Poll,
    PollBallot,
    PollOption,
    PollVote,
    Revision,
    TrustLevel,
)
from community.services.members import member_restrict
from community.services.moderation import content_hide, content_remove
from community.services.polls import (
    OptionInput,
    poll_close,
    poll_create,
    poll_edit,
    poll_vote,
)
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    bought,
    make_moderator,
    poll_make,
    trusted,
)
from core.exceptions import ApplicationError
from core.models import OutboxEvent
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _ban(user) -> None:
    member_restrict(
        moderator=make_moderator(),
        user=user,
        action=ModerationAction.Action.BAN,
        until=timezone.now() + timedelta(days=3),
        reason="Spam",
    )


def _options(poll):
    return list(poll.options.order_by("position"))


def _assert_counts_exact(poll: Poll) -> None:
    poll.refresh_from_db()
    assert poll.voter_count == PollBallot.objects.filter(poll=poll).count()
    for option in PollOption.objects.filter(poll=poll):
        assert option.vote_count == PollVote.objects.filter(option=option).count(), option
    for ballot in PollBallot.objects.filter(poll=poll):
        assert ballot.choice_count == ballot.votes.count()
        assert poll.min_choices <= ballot.choice_count <= poll.max_choices


def _nothing_written(poll: Poll, before: tuple) -> None:
    assert _snapshot(poll) == before


def _snapshot(poll: Poll) -> tuple:
    poll.refresh_from_db()
    return (
        poll.voter_count,
        PollBallot.objects.filter(poll=poll).count(),
        PollVote.objects.filter(poll=poll).count(),
        tuple(PollOption.objects.filter(poll=poll).values_list("vote_count", flat=True)),
        OutboxEvent.objects.filter(event_type=PollVoted.event_type).count(),
    )


# ----------------------------------------------------------------- creating
def test_a_trusted_member_publishes_a_poll_and_poll_created_goes_out():
    poll = poll_make(body_md="Pick **one**.")
    assert poll.status == ContentStatus.PUBLISHED
    assert [o.label for o in _options(poll)] == ["Red", "Green", "Blue"]
    assert "<strong>one</strong>" in poll.body_html
    event = OutboxEvent.objects.get(event_type=PollCreated.event_type)
    assert event.payload["poll_id"] == poll.pk


def test_a_new_members_poll_waits_for_approval_and_announces_nothing():
    poll = poll_make(NewMemberFactory())
    assert poll.status == ContentStatus.PENDING
    assert not OutboxEvent.objects.filter(event_type=PollCreated.event_type).exists()


def test_single_choice_ignores_min_and_max():
    poll = poll_make(min_choices=2, max_choices=3)
    assert (poll.min_choices, poll.max_choices) == (1, 1)


def test_multiple_choice_max_defaults_to_the_number_of_options():
    poll = poll_make(poll_type=Poll.Type.MULTIPLE)
    assert (poll.min_choices, poll.max_choices) == (1, 3)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"options": ["Only one"]}, "option_count", "options"),
        ({"options": []}, "option_count", "options"),
        ({"options": [f"Option {n}" for n in range(21)]}, "option_count", "options"),
        ({"options": ["Red", "red ", "Blue"]}, "duplicate_option", "options"),
        ({"options": ["Red", "x" * 121]}, "too_long", "options"),
        (
            {"poll_type": "multiple", "min_choices": 3, "max_choices": 2},
            "min_over_max",
            "min_choices",
        ),
        ({"poll_type": "multiple", "max_choices": 4}, "max_choices", "max_choices"),
        ({"poll_type": "multiple", "min_choices": 0}, "min_choices", "min_choices"),
        ({"close_at": timezone.now() - timedelta(minutes=1)}, "close_at_past", "close_at"),
        ({"title": "   "}, "required", "title"),
        ({"title": "q" * 201}, "too_long", "title"),
        ({"owners_only": True}, "product_required", "product"),
        ({"product_id": 999999}, "product", "product"),
        ({"results": "sometimes"}, "results", "results"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(kwargs, code, field):
    author = trusted(MemberFactory())
    arguments = {"title": "Which colour?", "options": ["Red", "Green", "Blue"], **kwargs}
    with pytest.raises(ApplicationError) as error:
        poll_create(author=author, **arguments)
    assert error.value.code == code
    assert field in error.value.extra and error.value.message
    assert not Poll.objects.exists() and not PollOption.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_twenty_options_are_accepted_and_empty_lines_dropped():
    poll = poll_make(options=[f"Option {n}" for n in range(20)] + ["", "  "])
    assert poll.options.count() == 20


def test_a_banned_member_cannot_create_a_poll():
    author = trusted(MemberFactory())
    _ban(author)
    with pytest.raises(ApplicationError) as error:
        poll_make(author)
    assert error.value.code == "banned"
    assert not Poll.objects.exists()


def test_option_products_are_linked():
    product = ProductFactory()
    poll = poll_make(options=[OptionInput("Red", product.pk), OptionInput("Blue")])
    assert [o.product_id for o in _options(poll)] == [product.pk, None]


# ------------------------------------------------------------------- voting
def test_a_vote_counts_and_is_announced():
    poll = poll_make()
    voter = MemberFactory()
    red = _options(poll)[0]
    result = poll_vote(poll=poll, voter=voter, option_ids=[red.pk])
    assert result.first_vote and result.changed
    _assert_counts_exact(poll)
    assert poll.voter_count == 1
    payload = OutboxEvent.objects.get(event_type=PollVoted.event_type).payload
    assert payload["option_ids"] == [red.pk] and payload["first_vote"] is True


def test_changing_a_vote_keeps_counts_exact_and_says_it_was_not_the_first():
    poll = poll_make(poll_type=Poll.Type.MULTIPLE, max_choices=2)
    red, green, blue = _options(poll)
    voter, other = MemberFactory(), MemberFactory()
    poll_vote(poll=poll, voter=voter, option_ids=[red.pk, green.pk])
    poll_vote(poll=poll, voter=other, option_ids=[green.pk])
    result = poll_vote(poll=poll, voter=voter, option_ids=[green.pk, blue.pk])
    assert not result.first_vote
    _assert_counts_exact(poll)
    assert poll.voter_count == 2
    assert [o.vote_count for o in _options(poll)] == [0, 2, 1]
    last = OutboxEvent.objects.filter(event_type=PollVoted.event_type).order_by("-created_at")
    assert last.first().payload["first_vote"] is False


def test_the_same_vote_again_changes_nothing():
    poll = poll_make()
    red = _options(poll)[0]
    voter = MemberFactory()
    poll_vote(poll=poll, voter=voter, option_ids=[red.pk])
    before = _snapshot(poll)
    assert not poll_vote(poll=poll, voter=voter, option_ids=[red.pk]).changed
    _nothing_written(poll, before)


def _refused(poll, voter, option_ids, code):
    before = _snapshot(poll)
    with pytest.raises(ApplicationError) as error:
        poll_vote(poll=poll, voter=voter, option_ids=option_ids)
    assert error.value.code == code, error.value.message
    assert error.value.message
    _nothing_written(poll, before)
    return error.value


def test_voting_in_a_closed_poll_is_refused():
    poll = poll_make()
    poll_close(poll=poll, actor=poll.author)
    _refused(poll, MemberFactory(), [_options(poll)[0].pk], "closed")


def test_voting_after_the_closing_time_is_refused():
    poll = poll_make(close_at=timezone.now() + timedelta(hours=1))
    Poll.objects.filter(pk=poll.pk).update(close_at=timezone.now() - timedelta(seconds=1))
    _refused(poll, MemberFactory(), [_options(poll)[0].pk], "closed")


def test_voting_in_a_hidden_poll_is_refused():
    poll = poll_make()
    content_hide(content=poll, moderator=make_moderator())
    _refused(poll, MemberFactory(), [_options(poll)[0].pk], "not_visible")


def test_voting_in_a_pending_poll_is_refused():
    poll = poll_make(NewMemberFactory())
    _refused(poll, MemberFactory(), [_options(poll)[0].pk], "not_visible")


def test_a_non_buyer_cannot_vote_in_an_owners_only_poll_and_a_buyer_can():
    product = ProductFactory()
    poll = poll_make(owners_only=True, product_id=product.pk)
    red = _options(poll)[0]
    error = _refused(poll, MemberFactory(), [red.pk], "owners_only")
    assert error.status_code == 403
    buyer = MemberFactory()
    bought(buyer, product)
    assert poll_vote(poll=poll, voter=buyer, option_ids=[red.pk]).first_vote


def test_a_banned_member_cannot_vote():
    poll = poll_make()
    voter = MemberFactory()
    _ban(voter)
    _refused(poll, voter, [_options(poll)[0].pk], "banned")


def test_two_options_in_a_single_choice_poll_are_refused():
    poll = poll_make()
    red, green, _blue = _options(poll)
    _refused(poll, MemberFactory(), [red.pk, green.pk], "choice_count")


def test_no_option_is_refused():
    _refused(poll_make(), MemberFactory(), [], "choice_count")


def test_choices_outside_min_and_max_are_refused():
    poll = poll_make(poll_type=Poll.Type.MULTIPLE, min_choices=2, max_choices=2)
    red, green, blue = _options(poll)
    voter = MemberFactory()
    _refused(poll, voter, [red.pk], "choice_count")
    _refused(poll, voter, [red.pk, green.pk, blue.pk], "choice_count")


def test_a_change_outside_the_limits_keeps_the_earlier_vote():
    poll = poll_make(poll_type=Poll.Type.MULTIPLE, min_choices=1, max_choices=2)
    red, green, blue = _options(poll)
    voter = MemberFactory()
    poll_vote(poll=poll, voter=voter, option_ids=[red.pk])
    _refused(poll, voter, [red.pk, green.pk, blue.pk], "choice_count")
    assert set(PollVote.objects.filter(voter=voter).values_list("option_id", flat=True)) == {red.pk}


def test_an_option_of_another_poll_is_refused():
    poll, other = poll_make(), poll_make(title="Another?")
    _refused(poll, MemberFactory(), [_options(other)[0].pk], "invalid_option")


# ------------------------------------------------------------------ closing
def test_another_member_cannot_close_a_poll_and_a_moderator_can():
    poll = poll_make()
    with pytest.raises(ApplicationError) as error:
        poll_close(poll=poll, actor=MemberFactory())
    assert error.value.status_code == 403
    poll.refresh_from_db()
    assert poll.closed_at is None
    moderator = make_moderator()
    closed = poll_close(poll=poll, actor=moderator)
    assert closed.closed_at is not None and closed.closed_by == moderator
    with pytest.raises(ApplicationError):
        poll_close(poll=poll, actor=moderator)


def test_trust_level_is_untouched_by_votes():
    # votes are not posts: they count toward no daily limit
    poll = poll_make()
    voter = trusted(NewMemberFactory(), TrustLevel.NEW)
    poll_vote(poll=poll, voter=voter, option_ids=[_options(poll)[0].pk])
    _assert_counts_exact(poll)


def test_the_database_refuses_a_second_vote_in_a_single_choice_ballot():
    from django.db import IntegrityError, transaction

    poll = poll_make()
    red, green, _blue = _options(poll)
    voter = MemberFactory()
    poll_vote(poll=poll, voter=voter, option_ids=[red.pk])
    ballot = PollBallot.objects.get(poll=poll, voter=voter)
    # a write past the service: a second slot, or a slot past the limit
    for slot, max_slots in [(1, 1), (2, 1)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            PollVote.objects.create(
                ballot=ballot, poll=poll, option=green, voter=voter, slot=slot, max_slots=max_slots
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        PollBallot.objects.create(poll=poll, voter=voter)
    assert PollVote.objects.filter(voter=voter).count() == 1


def test_changing_choices_reuses_the_freed_slots():
    poll = poll_make(poll_type=Poll.Type.MULTIPLE, max_choices=2)
    red, green, blue = _options(poll)
    voter = MemberFactory()
    poll_vote(poll=poll, voter=voter, option_ids=[red.pk, green.pk])
    poll_vote(poll=poll, voter=voter, option_ids=[green.pk, blue.pk])
    slots = dict(PollVote.objects.filter(voter=voter).values_list("option_id", "slot"))
    assert set(slots) == {green.pk, blue.pk} and sorted(slots.values()) == [1, 2]


# -------------------------------------------------------------------- edit
def test_poll_edit_by_another_member_is_refused_and_writes_nothing():
    # given another member's poll
    poll = poll_make(title="Mine?")

    # when a member edits it
    with pytest.raises(ApplicationError) as error:
        poll_edit(poll=poll, editor=MemberFactory(), title="Theirs?")

    # then it is refused, and nothing is written
    assert error.value.code == "forbidden" and error.value.status_code == 403
    poll.refresh_from_db()
    assert poll.title == "Mine?" and poll.edit_count == 0
    assert not Revision.objects.exists()


def test_poll_edit_of_a_deleted_poll_by_its_author_is_refused():
    poll = poll_make(title="Gone?")
    content_remove(content=poll, actor=poll.author)
    with pytest.raises(ApplicationError) as error:
        poll_edit(poll=poll, editor=poll.author, title="Back?")
    assert error.value.code == "removed"
    assert Poll.objects.get(pk=poll.pk).title == "Gone?" and not Revision.objects.exists()


def test_poll_edit_changing_nothing_keeps_no_revision():
    poll = poll_make(title="Same?")
    poll_edit(poll=poll, editor=poll.author, title=" Same? ", body_md="")
    assert not Revision.objects.exists()
    assert Poll.objects.get(pk=poll.pk).edit_count == 0


def test_poll_edit_refuses_a_too_long_question_at_its_field():
    poll = poll_make(title="Short?")
    with pytest.raises(ApplicationError) as error:
        poll_edit(poll=poll, editor=poll.author, title="x" * 201)
    assert error.value.code == "too_long" and "title" in error.value.extra
    assert Poll.objects.get(pk=poll.pk).title == "Short?"
