"""Votes under real concurrency, on PostgreSQL: real threads, each with its
own connection, released together by a barrier. One member's concurrent
votes and changes leave one ballot within the poll's limits, and the
counters equal the rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation

from community.models import Poll, PollBallot, PollOption, PollVote
from community.services.polls import poll_vote
from community.tests.factories import MemberFactory, poll_make
from core.exceptions import ApplicationError

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 12


def _together(calls) -> list[BaseException]:
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def worker(call) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):
                call()
        except ApplicationError:
            pass  # a refusal is an answer, not a fault
        except BaseException as exc:  # noqa: BLE001 - every surprise is counted
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a vote hung"
    return errors


def _assert_exact(poll: Poll) -> None:
    poll.refresh_from_db()
    assert poll.voter_count == PollBallot.objects.filter(poll=poll).count()
    for option in PollOption.objects.filter(poll=poll):
        assert option.vote_count == PollVote.objects.filter(option=option).count()
    for ballot in PollBallot.objects.filter(poll=poll):
        assert ballot.votes.count() == ballot.choice_count
        assert poll.min_choices <= ballot.choice_count <= poll.max_choices


def test_one_members_concurrent_single_choice_votes_leave_one_vote(postgres_required):
    # given a single-choice poll and a member who voted once
    poll = poll_make(options=[f"Option {n}" for n in range(4)])
    options = list(poll.options.order_by("position"))
    member = MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[options[0].pk])
    # when the member sends many different votes at the same instant
    calls = [
        (lambda o=options[1 + n % 3]: poll_vote(poll=poll, voter=member, option_ids=[o.pk]))
        for n in range(THREADS)
    ]
    errors = _together(calls)
    # then one ballot with one vote, and the counters are exact
    assert errors == []
    assert PollBallot.objects.filter(poll=poll, voter=member).count() == 1
    assert PollVote.objects.filter(poll=poll, voter=member).count() == 1
    _assert_exact(poll)
    assert poll.voter_count == 1


def test_concurrent_first_votes_of_one_member_make_one_ballot(postgres_required):
    poll = poll_make()
    option = poll.options.first()
    member = MemberFactory()
    errors = _together(
        [lambda: poll_vote(poll=poll, voter=member, option_ids=[option.pk])] * THREADS
    )
    assert errors == []
    assert PollBallot.objects.filter(poll=poll).count() == 1
    _assert_exact(poll)
    assert poll.voter_count == 1


def test_concurrent_multiple_choice_changes_stay_within_the_limits(postgres_required):
    # given a multiple-choice poll of 2 choices exactly and a member's vote
    poll = poll_make(
        poll_type=Poll.Type.MULTIPLE, min_choices=2, max_choices=2, options=["A", "B", "C", "D"]
    )
    a, b, c, d = poll.options.order_by("position")
    member = MemberFactory()
    poll_vote(poll=poll, voter=member, option_ids=[a.pk, b.pk])
    sets = [[a.pk, c.pk], [b.pk, d.pk], [c.pk, d.pk], [a.pk, d.pk]]
    # when the member changes the vote many times at once
    chosen = [sets[n % len(sets)] for n in range(THREADS)]
    errors = _together(
        [(lambda ids=ids: poll_vote(poll=poll, voter=member, option_ids=ids)) for ids in chosen]
    )
    # then the one ballot holds exactly two choices and the counts match
    assert errors == []
    assert PollVote.objects.filter(poll=poll, voter=member).count() == 2
    _assert_exact(poll)


def test_many_members_voting_at_once_are_all_counted(postgres_required):
    poll = poll_make(poll_type=Poll.Type.MULTIPLE, max_choices=2)
    red, green, _blue = poll.options.order_by("position")
    members = [MemberFactory() for _ in range(THREADS)]
    errors = _together(
        [
            (lambda m=m: poll_vote(poll=poll, voter=m, option_ids=[red.pk, green.pk]))
            for m in members
        ]
    )
    assert errors == []
    _assert_exact(poll)
    assert poll.voter_count == THREADS
    red.refresh_from_db()
    assert red.vote_count == THREADS
