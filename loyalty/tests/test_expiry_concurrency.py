"""Points expiry under real concurrency, on PostgreSQL: real threads, each
with its own connection. Two runs at once expire (and remind) once; an
activity that commits while a run is under way keeps the points."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.models import Notification
from loyalty.models import EntryKind, LedgerEntry, PointsAccount, ProgramSettings
from loyalty.notifications import POINTS_EXPIRING
from loyalty.selectors.expiry import ExpiryTerms, expiry_candidates
from loyalty.selectors.ledger import ledger_mismatches
from loyalty.services.expiry import (
    expiry_reminders_send,
    points_expire_batch,
    points_expire_due,
)
from loyalty.services.ledger import points_award, points_redeem

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _program(*, months: int = 12, reminder_days: int = 0) -> ExpiryTerms:
    program = ProgramSettings.current()
    program.expiry_months, program.expiry_reminder_days = months, reminder_days
    program.save()
    return ExpiryTerms.of(program)


def _idle_members(count: int, *, points: int = 100, days: int = 800) -> list:
    members = []
    for _ in range(count):
        member = UserFactory()
        points_award(user_id=member.pk, rule="review", subject=f"review:{member.pk}", points=points)
        members.append(member)
    PointsAccount.objects.filter(user__in=members).update(
        last_activity_at=timezone.now() - timedelta(days=days)
    )
    return members


def _in_threads(calls: list[Callable[[], object]]) -> list:
    """Run the calls at the same instant, one thread and connection each;
    returns their results (an exception is re-raised here)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_two_runs_at_once_expire_each_members_points_once(postgres_required):
    # given: 60 idle members, in batches of 7
    _program()
    members = _idle_members(60)

    # when
    results = _in_threads([lambda: points_expire_due(batch_size=7) for _ in range(2)])

    # then: 60 expiries between them, one entry per member
    assert sum(results) == 60
    entries = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE)
    assert entries.count() == 60
    assert sorted(entries.values_list("user_id", flat=True)) == sorted(m.pk for m in members)
    assert not PointsAccount.objects.filter(available__gt=0).exists()
    assert list(ledger_mismatches()) == []


def test_a_run_while_another_holds_the_accounts_expires_nothing_twice(postgres_required):
    # given: a first run that has expired everything but not committed yet
    _program()
    _idle_members(5)
    holding, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def first_run() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = points_expire_due()
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_run)
    thread.start()
    assert holding.wait(timeout=30)

    # when a second run goes meanwhile, then again once the first committed
    try:
        second = _in_threads([points_expire_due])[0]
    finally:
        release.set()
        thread.join(timeout=60)
    third = points_expire_due()

    # then
    assert (outcome["first"], second, third) == (5, 0, 0)
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 5
    assert list(ledger_mismatches()) == []


def test_accounts_selected_before_another_run_committed_are_not_expired_again(
    postgres_required,
):
    # given: a run selected its batch, then another run expired it all
    terms = _program()
    _idle_members(4)
    now = timezone.now()
    selected = list(expiry_candidates(terms=terms, now=now).values_list("user_id", flat=True))
    assert _in_threads([points_expire_due]) == [4]

    # when the first run locks its stale batch
    expired = points_expire_batch(user_ids=selected, terms=terms, now=now)

    # then the recheck under the lock finds nothing to expire
    assert expired == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 4


def test_an_activity_committed_after_the_selection_keeps_the_points(postgres_required):
    # given: a run selected the idle members
    terms = _program()
    earner, spender, idle = _idle_members(3, points=300)
    now = timezone.now()
    selected = list(expiry_candidates(terms=terms, now=now).values_list("user_id", flat=True))
    assert len(selected) == 3

    # when two of them earn and spend on other connections before the lock
    _in_threads(
        [
            lambda: points_award(
                user_id=earner.pk, rule="review", subject="review:late", points=10
            ),
            lambda: points_redeem(user_id=spender.pk, points=1, subject="order:late"),
        ]
    )
    expired = points_expire_batch(user_ids=selected, terms=terms, now=now)

    # then only the idle one's points expired
    assert expired == 1
    balances = dict(PointsAccount.objects.values_list("user_id", "available"))
    assert balances == {earner.pk: 310, spender.pk: 299, idle.pk: 0}


def test_an_activity_in_progress_during_a_run_keeps_the_points(postgres_required):
    # given: an award holding the member's account lock, not committed yet
    _program()
    [member] = _idle_members(1, points=200)
    holding, release = threading.Event(), threading.Event()

    def award_in_progress() -> None:
        try:
            with transaction.atomic():
                points_award(user_id=member.pk, rule="review", subject="review:now", points=5)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=award_in_progress)
    thread.start()
    assert holding.wait(timeout=30)

    # when the expiry runs meanwhile, then again after the award committed
    try:
        during = _in_threads([points_expire_due])[0]
    finally:
        release.set()
        thread.join(timeout=60)
    after = points_expire_due()

    # then the member keeps everything: the run left the locked account,
    # and by the next one the member was active
    assert (during, after) == (0, 0)
    assert PointsAccount.objects.get(user=member).available == 205


def test_two_reminder_runs_at_once_remind_each_member_once(postgres_required):
    # given
    _program(reminder_days=30)
    members = _idle_members(30, days=350)

    # when
    results = _in_threads([lambda: expiry_reminders_send(batch_size=4) for _ in range(2)])

    # then
    assert sum(results) == 30
    reminded = Notification.objects.filter(kind=POINTS_EXPIRING)
    assert sorted(reminded.values_list("recipient_id", flat=True)) == sorted(m.pk for m in members)
