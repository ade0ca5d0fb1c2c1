"""Rewards under real concurrency, on PostgreSQL: real threads, each with
its own connection, released together by a barrier."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from loyalty.models import EntryKind, LedgerEntry, Reward, RewardKind, RewardRedemption
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_award
from loyalty.services.rewards import reward_buy

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_members_racing_for_the_last_reward_in_stock_one_wins(postgres_required):
    # given one left in stock and two members with the points
    reward = Reward.objects.create(
        name="Rp 25.000 off",
        kind=RewardKind.FIXED,
        value=Decimal("25000"),
        points_price=1000,
        stock=1,
    )
    members = [UserFactory(), UserFactory()]
    for member in members:
        points_award(user_id=member.pk, rule="adjust", subject="gift", points=1000)
    barrier = threading.Barrier(2)
    won, refused, errors = [], [], []

    def buy(member) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                won.append(reward_buy(reward_id=reward.pk, user=member))
            except ApplicationError as exc:
                refused.append(exc)
            except BaseException as exc:  # noqa: BLE001 - every surprise is counted
                errors.append(exc)
        finally:
            connection.close()

    # when both buy at the same instant
    threads = [threading.Thread(target=buy, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then one code, one spend; the other heard it is sold out and kept the points
    assert errors == []
    assert len(won) == 1
    assert [r.code for r in refused] == ["reward_sold_out"]
    assert RewardRedemption.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    loser = next(m for m in members if m.pk != won[0].user_id)
    assert balance_of(user_id=loser.pk).available == 1000
    reward.refresh_from_db()
    assert reward.bought_count == 1
    assert list(ledger_mismatches()) == []


def _race(buyers) -> tuple[list, list, list]:
    """Run each (reward, member) purchase in its own thread, all at once."""
    barrier = threading.Barrier(len(buyers))
    won, refused, errors = [], [], []

    def buy(reward, member) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                won.append(reward_buy(reward_id=reward.pk, user=member))
            except ApplicationError as exc:
                refused.append(exc)
            except BaseException as exc:  # noqa: BLE001 - every surprise is counted
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=pair) for pair in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return won, refused, errors


@pytest.mark.parametrize(
    ("points", "bought", "left"),
    [(1000, 1, 0), (1500, 1, 500), (2000, 2, 0)],
    ids=["points-for-one", "points-for-one-and-a-half", "points-for-two"],
)
def test_one_member_redeeming_in_two_tabs_at_once_buys_only_what_their_points_pay_for(
    postgres_required, points, bought, left
):
    # given a member and a reward of 1,000 points, plenty in stock
    reward = Reward.objects.create(
        name="Rp 25.000 off", kind=RewardKind.FIXED, value=Decimal("25000"), points_price=1000
    )
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=points)

    # when both tabs press "Redeem" at the same instant
    won, refused, errors = _race([(reward, member), (reward, member)])

    # then each code was paid for, and a refused tab kept the points
    assert errors == []
    assert len(won) == bought
    assert [r.code for r in refused] == ["insufficient_points"] * (2 - bought)
    assert RewardRedemption.objects.filter(user=member).count() == bought
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM, user_id=member.pk).count() == bought
    assert balance_of(user_id=member.pk).available == left
    reward.refresh_from_db()
    assert reward.bought_count == bought
    assert list(ledger_mismatches()) == []


def test_one_member_buying_two_different_rewards_at_once_cannot_overspend(postgres_required):
    # given points for one of two rewards (each locks its own row, not the other's)
    rewards = [
        Reward.objects.create(
            name=f"Reward {n}", kind=RewardKind.FIXED, value=Decimal("10000"), points_price=800
        )
        for n in range(2)
    ]
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=1000)

    # when
    won, refused, errors = _race([(rewards[0], member), (rewards[1], member)])

    # then the account's lock lets one through; the other sees what it spent
    assert errors == []
    assert len(won) == 1
    assert [r.code for r in refused] == ["insufficient_points"]
    assert balance_of(user_id=member.pk).available == 200
    assert sum(Reward.objects.values_list("bought_count", flat=True)) == 1
    assert list(ledger_mismatches()) == []


def test_a_limit_of_one_holds_when_one_member_redeems_twice_at_once(postgres_required):
    reward = Reward.objects.create(
        name="Once each",
        kind=RewardKind.FIXED,
        value=Decimal("10000"),
        points_price=100,
        limit_per_member=1,
    )
    member = UserFactory()
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=1000)

    won, refused, errors = _race([(reward, member), (reward, member)])

    assert errors == []
    assert len(won) == 1
    assert [r.code for r in refused] == ["reward_limit"]
    assert balance_of(user_id=member.pk).available == 900
