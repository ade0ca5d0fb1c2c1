"""The points ledger: awards once, pending and release, reversal and
re-award, debts, spending, staff adjustments, expiry, reconciliation."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from core.exceptions import ApplicationError
from loyalty.models import Award, Bucket, EntryKind, LedgerEntry, PointsAccount, ProgramSettings
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import (
    award_standing,
    order_delivered,
    points_adjust,
    points_award,
    points_expire,
    points_give_back,
    points_redeem,
    points_release_due,
    subject_standing,
)

pytestmark = pytest.mark.django_db


def _award(user, points=50, *, subject="review:1", rule="review", **kwargs):
    return points_award(
        user_id=user.pk,
        rule=rule,
        subject=subject,
        points=points,
        source_event_id=kwargs.pop("event_id", uuid.uuid4()),
        occurred_at=kwargs.pop("at", timezone.now()),
        **kwargs,
    )


def _balance(user) -> tuple[int, int, int]:
    b = balance_of(user_id=user.pk)
    return b.available, b.pending, b.debt


def test_an_award_is_one_entry_and_the_balance_follows():
    # given
    member = UserFactory()

    # when
    _award(member, 50)

    # then
    assert _balance(member) == (50, 0, 0)
    entry = LedgerEntry.objects.get(user=member)
    assert (entry.kind, entry.bucket, entry.points, entry.rule, entry.subject) == (
        EntryKind.EARN,
        Bucket.AVAILABLE,
        50,
        "review",
        "review:1",
    )
    assert list(ledger_mismatches()) == []


def test_the_same_event_delivered_twice_awards_once():
    # given
    member = UserFactory()
    event_id, at = uuid.uuid4(), timezone.now()
    _award(member, 50, event_id=event_id, at=at)

    # when
    _award(member, 50, event_id=event_id, at=at)

    # then
    assert LedgerEntry.objects.filter(user=member).count() == 1
    assert _balance(member) == (50, 0, 0)


def test_a_second_award_for_the_same_subject_awards_nothing():
    # given: a review awarded once
    member = UserFactory()
    _award(member, 50)

    # when: another event for the same review and rule (an edit republished)
    _award(member, 80)

    # then
    assert _balance(member) == (50, 0, 0)
    assert Award.objects.get(user=member).points == 50


def test_approved_removed_restored_removed_ends_where_it_started_one_entry_each():
    # given: a member with 20 points of their own
    member = UserFactory()
    _award(member, 20, subject="signup", rule="signup")
    start = timezone.now()

    # when: the review is approved, removed, restored and removed again
    _award(member, 50, at=start)
    for step, share in enumerate((0, 1, 0), start=1):
        subject_standing(
            subject="review:1",
            share=share,
            source_event_id=uuid.uuid4(),
            occurred_at=start + timedelta(seconds=step),
        )

    # then
    assert _balance(member) == (20, 0, 0)
    review_entries = LedgerEntry.objects.filter(subject="review:1").order_by("pk")
    assert [(e.kind, e.points) for e in review_entries] == [
        (EntryKind.EARN, 50),
        (EntryKind.REVERSE, -50),
        (EntryKind.EARN, 50),
        (EntryKind.REVERSE, -50),
    ]
    assert list(ledger_mismatches()) == []


def test_an_older_event_arriving_late_does_not_undo_a_newer_one():
    # given: a review awarded, removed, then restored
    member = UserFactory()
    start = timezone.now()
    _award(member, 50, at=start)
    removed_id = uuid.uuid4()
    subject_standing(subject="review:1", share=1, occurred_at=start + timedelta(seconds=2))

    # when: the removal (which happened before the restore) is delivered late
    subject_standing(
        subject="review:1",
        share=0,
        source_event_id=removed_id,
        occurred_at=start + timedelta(seconds=1),
    )

    # then: the review still stands
    assert _balance(member) == (50, 0, 0)


def test_a_removal_for_a_member_without_an_award_writes_nothing():
    # given
    member = UserFactory()

    # when
    settled = subject_standing(subject="review:9", share=0, occurred_at=timezone.now())

    # then
    assert settled == []
    assert not LedgerEntry.objects.filter(user=member).exists()


def test_purchase_points_stay_pending_until_the_return_window_after_delivery():
    # given: an order's points, held by the order
    member = UserFactory()
    ProgramSettings.objects.update_or_create(pk=1, defaults={"return_window_days": 14})
    _award(member, 120, subject="order:7", rule="purchase", pending=True, hold_order_id=7)
    assert _balance(member) == (0, 120, 0)

    # when: the order is delivered, and the release runs before and after the window
    delivered_at = timezone.now() - timedelta(days=10)
    order_delivered(order_id=7, delivered_at=delivered_at)
    early = points_release_due(now=timezone.now())
    late = points_release_due(now=delivered_at + timedelta(days=14, seconds=1))
    again = points_release_due(now=delivered_at + timedelta(days=15))

    # then
    assert (early, late, again) == (0, 1, 0)
    assert _balance(member) == (120, 0, 0)
    kinds = list(LedgerEntry.objects.filter(user=member).values_list("kind", "bucket", "points"))
    assert sorted(kinds) == sorted(
        [
            (EntryKind.EARN, Bucket.PENDING, 120),
            (EntryKind.RELEASE, Bucket.PENDING, -120),
            (EntryKind.RELEASE, Bucket.AVAILABLE, 120),
        ]
    )
    assert list(ledger_mismatches()) == []


def test_a_release_for_some_members_leaves_the_others_points_pending():
    # given: two members' orders, both delivered a month ago
    member, other = UserFactory(), UserFactory()
    delivered_at = timezone.now() - timedelta(days=30)
    for user, order_id in ((member, 21), (other, 22)):
        subject = f"order:{order_id}"
        _award(user, 60, subject=subject, rule="purchase", pending=True, hold_order_id=order_id)
        order_delivered(order_id=order_id, delivered_at=delivered_at)

    # when
    released = points_release_due(user_ids=[member.pk])

    # then
    assert released == 1
    assert _balance(member) == (60, 0, 0)
    assert _balance(other) == (0, 60, 0)


def test_a_delivery_heard_before_the_payment_still_dates_the_pending_points():
    # given: OrderDelivered handled before OrderPaid's award
    member = UserFactory()
    delivered_at = timezone.now() - timedelta(days=30)
    order_delivered(order_id=8, delivered_at=delivered_at, user_id=member.pk)

    # when
    award = _award(member, 40, subject="order:8", rule="purchase", pending=True, hold_order_id=8)

    # then
    assert award.available_at == delivered_at + timedelta(days=14)
    assert points_release_due() == 1
    assert _balance(member) == (40, 0, 0)


def test_cancelling_before_release_takes_the_pending_points_back():
    # given
    member = UserFactory()
    _award(member, 120, subject="order:7", rule="purchase", pending=True, hold_order_id=7)

    # when: a partial refund of a quarter, then the cancellation
    award_standing(user_id=member.pk, rule="purchase", subject="order:7", share=0.75)
    award_standing(user_id=member.pk, rule="purchase", subject="order:7", share=0)

    # then
    assert _balance(member) == (0, 0, 0)
    reversals = LedgerEntry.objects.filter(kind=EntryKind.REVERSE).order_by("pk")
    assert [(e.bucket, e.points) for e in reversals] == [
        (Bucket.PENDING, -30),
        (Bucket.PENDING, -90),
    ]


def test_a_reversal_larger_than_the_balance_becomes_a_debt_the_next_points_repay():
    # given: 50 points earned, 40 of them spent
    member = UserFactory()
    _award(member, 50)
    points_redeem(user_id=member.pk, points=40, subject="order:1")

    # when: the review is removed (50 to take back, 10 left), then 30 are earned
    subject_standing(subject="review:1", share=0, occurred_at=timezone.now())
    owed = _balance(member)
    _award(member, 30, subject="answer:3", rule="answer")

    # then: never below zero; the debt is repaid first
    assert owed == (0, 0, 40)
    assert _balance(member) == (0, 0, 10)
    _award(member, 25, subject="answer:4", rule="answer")
    assert _balance(member) == (15, 0, 0)
    assert list(ledger_mismatches()) == []


def test_spending_more_than_available_is_refused_and_writes_nothing():
    # given
    member = UserFactory()
    _award(member, 50)

    # when
    with pytest.raises(ApplicationError) as refused:
        points_redeem(user_id=member.pk, points=60, subject="order:1")

    # then
    assert refused.value.code == "insufficient_points"
    assert "you have 50" in refused.value.message
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == 0
    assert _balance(member) == (50, 0, 0)


def test_pending_points_cannot_be_spent():
    member = UserFactory()
    _award(member, 200, subject="order:2", rule="purchase", pending=True, hold_order_id=2)

    with pytest.raises(ApplicationError):
        points_redeem(user_id=member.pk, points=100, subject="order:3")

    assert _balance(member) == (0, 200, 0)


def test_points_given_back_after_a_cancelled_redemption():
    member = UserFactory()
    _award(member, 300)
    points_redeem(user_id=member.pk, points=200, subject="order:5")

    points_give_back(user_id=member.pk, points=200, subject="order:5", note="cancelled")

    assert _balance(member) == (300, 0, 0)
    assert list(ledger_mismatches()) == []


def test_a_staff_adjustment_needs_a_reason_and_is_an_entry_with_its_author():
    # given
    member, staff = UserFactory(), StaffFactory()
    _award(member, 10)

    # when
    with pytest.raises(ApplicationError):
        points_adjust(user_id=member.pk, points=25, reason="  ", actor=staff)
    with pytest.raises(ApplicationError):
        points_adjust(user_id=member.pk, points=-11, reason="too many", actor=staff)
    points_adjust(user_id=member.pk, points=25, reason="Goodwill: late delivery", actor=staff)

    # then
    adjustment = LedgerEntry.objects.get(kind=EntryKind.ADJUST)
    assert (adjustment.points, adjustment.actor, adjustment.note) == (
        25,
        staff,
        "Goodwill: late delivery",
    )
    assert _balance(member) == (35, 0, 0)


def test_expiry_is_an_entry_that_takes_every_available_point():
    member = UserFactory()
    _award(member, 70)
    _award(member, 30, subject="order:1", rule="purchase", pending=True, hold_order_id=1)

    expired = points_expire(user_id=member.pk, note="12 months without activity")

    assert expired == 70
    assert _balance(member) == (0, 30, 0)
    assert LedgerEntry.objects.get(kind=EntryKind.EXPIRE).points == -70


def test_reconcile_reports_a_cached_balance_that_disagrees_with_the_ledger(capsys):
    # given: an account whose cached balance was changed behind the ledger's back
    member = UserFactory()
    _award(member, 50)
    call_command("reconcile")
    assert "0 mismatches" in capsys.readouterr().out
    PointsAccount.objects.filter(user=member).update(available=500)

    # when / then
    with pytest.raises(CommandError):
        call_command("reconcile")
    out = capsys.readouterr().out
    assert f"account {member.pk}: available is 500, the ledger says 50" in out
    assert "1 mismatches" in out


def test_zero_or_negative_awards_write_nothing():
    member = UserFactory()

    assert _award(member, 0) is None

    assert not Award.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_award_listeners_hear_every_change_of_standing_with_its_delta():
    # given
    from loyalty.services import ledger

    heard = []

    def listener(changes):
        heard.extend((c.award.subject, c.delta, c.account.available) for c in changes)

    ledger._award_listeners.append(listener)
    try:
        member = UserFactory()
        # when: awarded, repeated (no change), half taken back
        _award(member, 50)
        _award(member, 50)
        award_standing(user_id=member.pk, rule="review", subject="review:1", share=0.5)
    finally:
        ledger._award_listeners.remove(listener)

    # then
    assert heard == [("review:1", 50, 50), ("review:1", -25, 25)]
