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
