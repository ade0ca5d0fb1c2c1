"""Bounties on questions: offering takes the points into escrow, the first
acceptance (or, at the deadline, the top-voted answer) receives them once,
a removed question or a bounty nobody can win gives them back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.events import AnswerAccepted, AnswerUnaccepted, ContentRemoved, ContentRestored
from community.models import Answer, ContentStatus
from community.services import moderation
from community.services.qa import (
    answer_accept,
    answer_unaccept,
    answer_vote,
    question_close_duplicate,
    question_delete,
)
from community.tests.factories import (
    MemberFactory,
    NewMemberFactory,
    answer_make,
    make_moderator,
    question_make,
    trusted,
)
from core.exceptions import ApplicationError
from core.models import Notification, OutboxDelivery
from core.services import outbox_deliver_events
from loyalty import bounty_handlers as h
from loyalty.models import (
    Bounty,
    BountyOutcome,
    BountyStatus,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    ProgramSettings,
)
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.bounties import (
    bounties_settle_due,
    bounty_offer,
    bounty_refund,
    bounty_settle,
)
from loyalty.services.ledger import points_award
from loyalty.tasks import settle_due_bounties

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconciled():
    yield
    assert list(ledger_mismatches()) == []


def _member(points: int = 0):
    member = trusted(MemberFactory())
    if points:
        points_award(user_id=member.pk, rule="adjust", subject="gift", points=points)
    return member


def _available(user) -> int:
    return balance_of(user_id=user.pk).available


def _accepted(answer, *, by, at=None) -> AnswerAccepted:
    return AnswerAccepted(
        answer_id=answer.pk,
        question_id=answer.question_id,
        author_id=answer.author_id,
        accepted_by_id=by.pk,
        occurred_at=at or timezone.now(),
    )


def _entries(bounty, kind: str) -> list[tuple[int, int]]:
    return list(
        LedgerEntry.objects.filter(subject=f"bounty:{bounty.pk}", kind=kind).values_list(
            "user_id", "points"
        )
    )


def _notified(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _past_deadline(bounty) -> timezone.datetime:
    return bounty.deadline + timedelta(minutes=1)


# ------------------------------------------------------------------ offering
def test_offering_a_bounty_holds_the_points_until_the_deadline():
    # given
    asker = _member(points=300)
    question = question_make(asker)
    ProgramSettings.objects.update_or_create(pk=1, defaults={"bounty_days": 5})

    # when
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)

    # then
    assert bounty.status == BountyStatus.OPEN
    assert bounty.question_title == question.title
    assert abs(bounty.deadline - (timezone.now() + timedelta(days=5))) < timedelta(minutes=1)
    assert _available(asker) == 200
    assert _entries(bounty, EntryKind.ESCROW) == [(asker.pk, -100)]


def test_any_member_may_offer_a_bounty_on_someone_elses_question():
    question = question_make()
    helper = _member(points=80)

    bounty = bounty_offer(user=helper, question_id=question.pk, points=50)

    assert bounty.offerer == helper
    assert _available(helper) == 30


@pytest.mark.parametrize(
    ("points", "code"),
    [(49, "bounty_too_small"), (501, "bounty_too_large"), (0, "bounty_too_small")],
)
def test_an_offer_outside_the_programs_limits_is_refused_and_nothing_is_held(points, code):
    asker = _member(points=1000)
    question = question_make(asker)

    with pytest.raises(ApplicationError) as refusal:
        bounty_offer(user=asker, question_id=question.pk, points=points)

    assert refusal.value.code == code
    assert not Bounty.objects.exists()
    assert _available(asker) == 1000


def test_an_offer_beyond_the_members_points_is_refused_with_what_they_have():
    asker = _member(points=60)
    question = question_make(asker)

    with pytest.raises(ApplicationError) as refusal:
        bounty_offer(user=asker, question_id=question.pk, points=100)

    assert refusal.value.code == "insufficient_points"
    assert "you have 60" in refusal.value.message
    assert not Bounty.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.ESCROW).exists()
    assert _available(asker) == 60


def test_a_question_takes_one_open_bounty_at_a_time():
    question = question_make()
    first, second = _member(points=500), _member(points=500)
    bounty_offer(user=first, question_id=question.pk, points=100)

    with pytest.raises(ApplicationError) as refusal:
        bounty_offer(user=second, question_id=question.pk, points=200)

    assert (refusal.value.code, refusal.value.status_code) == ("bounty_exists", 409)
    assert Bounty.objects.count() == 1
    assert _available(second) == 500


def test_questions_that_are_closed_answered_waiting_or_removed_take_no_bounty():
    member, moderator = _member(points=1000), make_moderator()
    original = question_make(title="The original question here?")
    duplicate = question_make(title="The same question again?")
    question_close_duplicate(question=duplicate, original=original, moderator=moderator)
    answered = question_make(title="A question with an accepted answer?")
    answer_accept(answer=answer_make(answered), user=answered.author)
    from community.services.qa import question_ask

    asker = NewMemberFactory()
    points_award(user_id=asker.pk, rule="adjust", subject="gift", points=1000)
    waiting = question_ask(author=asker, title="Waiting for approval here?")
    assert waiting.status == ContentStatus.PENDING
    removed = question_make(title="A question its author deleted?")
    moderation.content_remove(content=removed, actor=removed.author)

    codes = {}
    for question in (duplicate, answered, waiting, removed):
        with pytest.raises(ApplicationError) as refusal:
            bounty_offer(user=member, question_id=question.pk, points=100)
        codes[question.pk] = refusal.value.code
    with pytest.raises(ApplicationError) as unknown:
        bounty_offer(user=member, question_id=10**12, points=100)
    with pytest.raises(ApplicationError) as own_waiting:
        bounty_offer(user=asker, question_id=waiting.pk, points=100)

    # (a question waiting for approval is unknown to all but its asker)
    assert codes == {
        duplicate.pk: "question_closed",
        answered.pk: "question_answered",
        waiting.pk: "question_unavailable",
        removed.pk: "question_unavailable",
    }
    assert own_waiting.value.code == "question_not_published"
    assert unknown.value.status_code == 404
    assert not Bounty.objects.exists()
    assert _available(member) == 1000


def test_a_visitor_cannot_offer_a_bounty():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ApplicationError) as refusal:
        bounty_offer(user=AnonymousUser(), question_id=question_make().pk, points=100)
    assert refusal.value.code == "login_required"


# ---------------------------------------------------------------- acceptance
def test_the_accepted_answer_receives_the_bounty_and_both_members_hear_of_it():
    # given
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=150)
    helper = _member()
    answer = answer_make(question, helper)

    # when
    h.bounty_on_answer_accepted(_accepted(answer, by=asker))

    # then
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (BountyStatus.PAID, BountyOutcome.ACCEPTED)
    assert (bounty.winner_id, bounty.answer_id) == (helper.pk, answer.pk)
    assert _available(helper) == 150
    assert _available(asker) == 150
    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 150)]
    assert _notified(helper) == ["loyalty.bounty_won"]
    assert _notified(asker) == ["loyalty.bounty_closed"]
    won = Notification.objects.get(recipient=helper)
    assert won.url == f"{question.get_absolute_url()}#answer-{answer.pk}"


def test_an_acceptance_delivered_three_times_pays_once():
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    event = _accepted(answer_make(question, helper), by=asker)

    for _ in range(3):
        h.bounty_on_answer_accepted(event)

    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 100)]
    assert _available(helper) == 100
    assert Notification.objects.filter(recipient=helper).count() == 1


def test_through_the_outbox_a_real_acceptance_redelivered_pays_once(
    django_capture_on_commit_callbacks,
):
    # given a bounty and an answer, accepted through the community service
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=120)
    answer = answer_make(question, helper)
    with django_capture_on_commit_callbacks(execute=True):
        answer_accept(answer=answer, user=asker)

    # when the bounty handler's delivery is made twice more
    deliveries = OutboxDelivery.objects.filter(handler="loyalty.bounty_answer_accepted")
    assert deliveries.count() == 1
    event_ids = list(deliveries.values_list("event_id", flat=True))
    for _again in range(2):
        deliveries.update(status=OutboxDelivery.Status.PENDING, attempts=0)
        outbox_deliver_events(event_ids=event_ids)

    # then
    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.PAID
    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 120)]


def test_the_first_acceptance_closes_the_bounty_unaccepting_and_accepting_another_change_nothing(
    django_capture_on_commit_callbacks,
):
    asker, first_helper, second_helper = _member(points=300), _member(), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    first = answer_make(question, first_helper, body="The first answer.")
    second = answer_make(question, second_helper, body="The second answer.")

    with django_capture_on_commit_callbacks(execute=True):
        answer_accept(answer=first, user=asker)
    with django_capture_on_commit_callbacks(execute=True):
        answer_unaccept(answer=first, user=asker)
    with django_capture_on_commit_callbacks(execute=True):
        answer_accept(answer=second, user=asker)

    # (both answers also earned the answer rules' own points through the outbox)
    bounty.refresh_from_db()
    assert (bounty.status, bounty.answer_id) == (BountyStatus.PAID, first.pk)
    assert _entries(bounty, EntryKind.BOUNTY) == [(first_helper.pk, 100)]
    assert not LedgerEntry.objects.filter(user=second_helper, kind=EntryKind.BOUNTY).exists()
    assert Bounty.objects.filter(status=BountyStatus.OPEN).count() == 0


def test_the_offerers_own_accepted_answer_gives_the_points_back():
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    own = answer_make(question, asker, body="I found it out myself.")

    h.bounty_on_answer_accepted(_accepted(own, by=asker))

    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (BountyStatus.REFUNDED, BountyOutcome.OWN_ANSWER)
    assert bounty.winner_id is None
    assert _available(asker) == 300
    assert _entries(bounty, EntryKind.REFUND) == [(asker.pk, 100)]
    assert _entries(bounty, EntryKind.BOUNTY) == []
    assert _notified(asker) == ["loyalty.bounty_closed"]


def test_an_asker_accepting_their_own_answer_does_not_collect_another_members_bounty():
    asker, sponsor = _member(), _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=sponsor, question_id=question.pk, points=100)
    own = answer_make(question, asker, body="My own answer.")

    h.bounty_on_answer_accepted(_accepted(own, by=asker))

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.REFUNDED
    assert _available(asker) == 0
    assert _available(sponsor) == 300


def test_an_acceptance_from_before_the_bounty_does_not_decide_it():
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    answer = answer_make(question, helper)
    stale = _accepted(answer, by=asker, at=timezone.now() - timedelta(minutes=5))
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)

    h.bounty_on_answer_accepted(stale)

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.OPEN
    assert _available(helper) == 0


def test_an_unaccepted_answer_keeps_the_bounty_it_received():
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    answer = answer_make(question, helper)
    h.bounty_on_answer_accepted(_accepted(answer, by=asker))

    from loyalty import rule_handlers

    rule_handlers.answer_unaccepted(
        AnswerUnaccepted(
            answer_id=answer.pk,
            question_id=question.pk,
            author_id=helper.pk,
            accepted_by_id=asker.pk,
        )
    )

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.PAID
    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 100)]
    assert _available(helper) == 100


# ------------------------------------------------------------------ deadline
def test_at_the_deadline_the_top_voted_answer_receives_the_bounty():
    # given two answers, the later one voted up twice, and the offerer's own voted up three times
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    plain, popular = _member(), _member()
    answer_make(question, plain, body="A plain answer.")
    voted = answer_make(question, popular, body="A popular answer.")
    own = answer_make(question, asker, body="The offerer's own answer.")
    for _ in range(2):
        answer_vote(answer=voted, voter=_member(), value=1)
    for _ in range(3):
        answer_vote(answer=own, voter=_member(), value=1)

    # when the beat task runs after the deadline, twice
    assert bounties_settle_due(now=_past_deadline(bounty)) == 1
    assert bounties_settle_due(now=_past_deadline(bounty)) == 0

    # then
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (BountyStatus.PAID, BountyOutcome.TOP_VOTED)
    assert (bounty.winner_id, bounty.answer_id) == (popular.pk, voted.pk)
    assert _available(popular) == 100
    assert _entries(bounty, EntryKind.BOUNTY) == [(popular.pk, 100)]


def test_before_the_deadline_the_task_leaves_the_bounty_open():
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    answer_vote(answer=answer_make(question), voter=_member(), value=1)

    assert settle_due_bounties() == 0

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.OPEN


def test_with_no_answer_voted_up_the_bounty_goes_back_at_the_deadline():
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    answer = answer_make(question)
    answer_vote(answer=answer, voter=_member(), value=-1)

    bounty_settle(bounty_id=bounty.pk, now=_past_deadline(bounty))

    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (BountyStatus.REFUNDED, BountyOutcome.NO_ANSWER)
    assert _available(asker) == 300
    assert _notified(asker) == ["loyalty.bounty_closed"]


def test_an_acceptance_not_heard_by_the_deadline_is_still_paid_then():
    # given an accepted answer whose event has not reached loyalty yet
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    answer = answer_make(question, helper)
    answer_accept(answer=answer, user=asker)  # its on-commit delivery never runs here

    # when
    bounty_settle(bounty_id=bounty.pk, now=_past_deadline(bounty))
    h.bounty_on_answer_accepted(_accepted(answer, by=asker))  # heard at last

    # then
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome, bounty.answer_id) == (
        BountyStatus.PAID,
        BountyOutcome.ACCEPTED,
        answer.pk,
    )
    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 100)]


# ------------------------------------------------------------------ removal
def test_a_removed_question_refunds_its_bounty_and_a_restore_does_not_reopen_it(
    django_capture_on_commit_callbacks,
):
    asker, moderator = _member(points=300), make_moderator()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)

    with django_capture_on_commit_callbacks(execute=True):
        moderation.content_hide(content=question, moderator=moderator, reason="Off topic")
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (
        BountyStatus.REFUNDED,
        BountyOutcome.QUESTION_REMOVED,
    )
    assert _available(asker) == 300

    with django_capture_on_commit_callbacks(execute=True):
        moderation.content_restore(content=question, moderator=moderator)
    h.bounty_on_question_removed(
        ContentRemoved(kind="question", content_id=question.pk, author_id=asker.pk)
    )

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.REFUNDED
    assert Bounty.objects.filter(status=BountyStatus.OPEN).count() == 0
    assert _entries(bounty, EntryKind.REFUND) == [(asker.pk, 100)]
    assert _available(asker) == 300


def test_an_offerer_deleting_their_answered_question_pays_the_best_answer_not_themselves(
    django_capture_on_commit_callbacks,
):
    # given: the offerer's question has answers, none accepted
    asker, helper, other = _member(points=300), _member(), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    best = answer_make(question, helper)
    answer_make(question, other)
    Answer.objects.filter(pk=best.pk).update(score=3)

    # when the offerer deletes the question
    with django_capture_on_commit_callbacks(execute=True):
        question_delete(question=question, actor=asker)

    # then the best answer wins the bounty; the offerer is not refunded
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (BountyStatus.PAID, BountyOutcome.TOP_VOTED)
    assert (bounty.winner_id, bounty.answer_id) == (helper.pk, best.pk)
    assert _entries(bounty, EntryKind.BOUNTY) == [(helper.pk, 100)]
    assert _entries(bounty, EntryKind.REFUND) == []
    assert _available(asker) == 200


def test_an_offerer_deleting_an_unanswered_question_gets_the_bounty_back(
    django_capture_on_commit_callbacks,
):
    # given
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        question_delete(question=question, actor=asker)

    # then
    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome) == (
        BountyStatus.REFUNDED,
        BountyOutcome.QUESTION_REMOVED,
    )
    assert _available(asker) == 300


def test_removing_a_question_after_its_bounty_was_paid_takes_nothing_back():
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    h.bounty_on_answer_accepted(_accepted(answer_make(question, helper), by=asker))

    h.bounty_on_question_removed(
        ContentRemoved(kind="question", content_id=question.pk, author_id=asker.pk)
    )
    h.bounty_on_question_removed(  # a removed answer of the same id is another thing
        ContentRemoved(kind="answer", content_id=question.pk, author_id=helper.pk)
    )

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.PAID
    assert _available(helper) == 100
    assert _available(asker) == 200


def test_a_restore_event_leaves_a_refunded_bounty_closed():
    asker = _member(points=300)
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)
    h.bounty_on_question_removed(
        ContentRemoved(kind="question", content_id=question.pk, author_id=asker.pk)
    )

    from loyalty import rule_handlers

    rule_handlers.content_restored(
        ContentRestored(kind="question", content_id=question.pk, author_id=asker.pk)
    )

    bounty.refresh_from_db()
    assert bounty.status == BountyStatus.REFUNDED
    # and a new bounty may be offered on the question again
    assert bounty_offer(user=asker, question_id=question.pk, points=50).is_open


# --------------------------------------------------------------------- staff
def test_staff_refund_an_open_bounty_with_a_reason_the_offerer_is_told():
    asker, staff = _member(points=300), make_moderator()
    question = question_make(asker)
    bounty = bounty_offer(user=asker, question_id=question.pk, points=100)

    with pytest.raises(ApplicationError) as no_reason:
        bounty_refund(bounty_id=bounty.pk, actor=staff, reason="  ")
    assert no_reason.value.code == "reason_required"
    assert _available(asker) == 200

    bounty_refund(bounty_id=bounty.pk, actor=staff, reason="Offered by mistake.")

    bounty.refresh_from_db()
    assert (bounty.status, bounty.outcome, bounty.closed_by_id, bounty.note) == (
        BountyStatus.REFUNDED,
        BountyOutcome.STAFF,
        staff.pk,
        "Offered by mistake.",
    )
    assert _available(asker) == 300
    line = Notification.objects.get(recipient=asker)
    from core.notifications.services import notification_text

    assert "Offered by mistake." in notification_text(line)
    with pytest.raises(ApplicationError) as closed:
        bounty_refund(bounty_id=bounty.pk, actor=staff, reason="Again.")
    assert closed.value.code == "bounty_closed"
    assert _available(asker) == 300


# ------------------------------------------------------------------- ledger
def test_a_bounty_received_counts_towards_no_tier_or_leaderboard():
    asker, helper = _member(points=300), _member()
    question = question_make(asker)
    bounty_offer(user=asker, question_id=question.pk, points=100)
    h.bounty_on_answer_accepted(_accepted(answer_make(question, helper), by=asker))

    account = PointsAccount.objects.get(user=helper)
    assert (account.available, account.earned_total) == (100, 0)
    from loyalty.selectors.leaderboards import ALL_TIME, OVERALL, board_totals

    for area in (OVERALL, "answers"):
        totals = board_totals(scope=ALL_TIME, area=area, period="all")
        assert helper.pk not in {row["user_id"] for row in totals}


def test_a_bounty_received_repays_what_the_winner_owed_first():
    asker, helper = _member(points=300), _member()
    points_award(user_id=helper.pk, rule="review", subject="review:1", points=40)
    from loyalty.services.ledger import points_redeem, subject_standing

    points_redeem(user_id=helper.pk, points=40, subject="order:1")
    subject_standing(subject="review:1", share=0)  # 40 owed now
    assert balance_of(user_id=helper.pk).debt == 40
    question = question_make(asker)
    bounty_offer(user=asker, question_id=question.pk, points=100)

    h.bounty_on_answer_accepted(_accepted(answer_make(question, helper), by=asker))

    balance = balance_of(user_id=helper.pk)
    assert (balance.available, balance.debt) == (60, 0)


def test_the_beat_runs_the_deadline_task():
    from django.conf import settings

    from config.celery_app import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "loyalty.tasks.settle_due_bounties" in scheduled
    assert app.tasks["loyalty.tasks.settle_due_bounties"].name == settle_due_bounties.name
