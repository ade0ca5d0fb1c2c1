"""Rewards bought with points: single-use codes tied to the member, used at
checkout through the "loyalty.reward" adjustment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from loyalty.models import (
    EntryKind,
    LedgerEntry,
    RedemptionStatus,
    Reward,
    RewardKind,
    RewardRedemption,
)
from loyalty.selectors.ledger import balance_of, ledger_mismatches
from loyalty.services.ledger import points_award
from loyalty.services.rewards import reward_at_checkout, reward_buy
from shop.models import Order
from shop.services.cart import cart_add, cart_for_user
from shop.services.checkout import checkout_place_order
from shop.services.orders import order_cancel, order_mark_paid, order_refund
from shop.tests.factories import CHECKOUT_ADDRESS, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory()
    points_award(user_id=user.pk, rule="adjust", subject="gift", points=5000)
    return user


def _reward(**kwargs) -> Reward:
    values = {"name": "Rp 25.000 off", "kind": RewardKind.FIXED, "value": Decimal("25000")}
    return Reward.objects.create(**{**values, "points_price": 1000, **kwargs})


def _place(user, code: str, *, price: str = "100000") -> Order:
    variant = ProductFactory(variant__price=Decimal(price), variant__stock=10).variants.get()
    cart = cart_for_user(user=user)
    cart_add(cart=cart, variant_id=variant.pk, quantity=2, user=user)
    return checkout_place_order(
        cart=cart,
        user=user,
        email=user.email,
        shipping_address=CHECKOUT_ADDRESS,
        shipping_method_id=None,
        payment_gateway="bank_transfer",
        adjustment_choices={"loyalty.reward": code},
    )


def test_buying_a_reward_takes_its_points_and_issues_a_code_to_the_member(member):
    reward = _reward()

    redemption = reward_buy(reward_id=reward.pk, user=member)

    assert redemption.user == member and redemption.status == RedemptionStatus.ISSUED
    assert redemption.code.startswith("RW-")
    entry = LedgerEntry.objects.get(kind=EntryKind.REDEEM)
    assert (entry.points, entry.subject) == (-1000, f"reward:{redemption.pk}")
    assert balance_of(user_id=member.pk).available == 4000
    reward.refresh_from_db()
    assert reward.bought_count == 1
    assert list(ledger_mismatches()) == []


@pytest.mark.parametrize(
    ("reward_kwargs", "code"),
    [
        ({"points_price": 6000}, "insufficient_points"),
        ({"stock": 0}, "reward_sold_out"),
        ({"is_active": False}, "reward_unavailable"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "reward_unavailable"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "reward_unavailable"),
    ],
)
def test_a_refused_purchase_writes_nothing(member, reward_kwargs, code):
    reward = _reward(**reward_kwargs)

    with pytest.raises(ApplicationError) as refused:
        reward_buy(reward_id=reward.pk, user=member)

    assert refused.value.code == code
    assert not RewardRedemption.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REDEEM).exists()
    assert balance_of(user_id=member.pk).available == 5000
    reward.refresh_from_db()
    assert reward.bought_count == 0


def test_the_limit_per_member_is_kept(member):
    reward = _reward(limit_per_member=1)
    reward_buy(reward_id=reward.pk, user=member)

    with pytest.raises(ApplicationError) as refused:
        reward_buy(reward_id=reward.pk, user=member)

    assert refused.value.code == "reward_limit"
    assert RewardRedemption.objects.count() == 1
    assert balance_of(user_id=member.pk).available == 4000


def test_a_code_is_quoted_only_for_its_member(member):
    redemption = reward_buy(reward_id=_reward().pk, user=member)
    other = UserFactory()

    mine = reward_at_checkout.quote(user=member, subtotal=Decimal("200000"), choice=redemption.code)
    theirs = reward_at_checkout.quote(
        user=other, subtotal=Decimal("200000"), choice=redemption.code
    )

    assert mine["amount"] == Decimal("25000")
    assert theirs is None


def test_a_percentage_reward_takes_its_share_and_respects_the_minimum(member):
    reward = _reward(kind=RewardKind.PERCENT, value=Decimal("10"), minimum_subtotal=50000)
    redemption = reward_buy(reward_id=reward.pk, user=member)

    quote = reward_at_checkout.quote(
        user=member, subtotal=Decimal("200000"), choice=redemption.code
    )
    too_small = reward_at_checkout.quote(
        user=member, subtotal=Decimal("40000"), choice=redemption.code
    )

    assert quote["amount"] == Decimal("20000")
    assert too_small is None


def test_an_order_uses_the_code_once_and_stores_the_line(member):
    redemption = reward_buy(reward_id=_reward().pk, user=member)

    order = _place(member, redemption.code.lower())

    assert order.total == Decimal("175000")
    line = order.adjustments.get()
    assert (line.code, line.amount) == ("loyalty.reward", Decimal("25000"))
    assert line.data["redemption_id"] == redemption.pk
    redemption.refresh_from_db()
    assert (redemption.status, redemption.order_id) == (RedemptionStatus.USED, order.pk)
    # a second order cannot use it: it is no longer quoted
    second = _place(member, redemption.code)
    assert not second.adjustments.exists()


def test_a_used_code_applied_again_is_refused(member):
    redemption = reward_buy(reward_id=_reward().pk, user=member)
    quote = reward_at_checkout.quote(
        user=member, subtotal=Decimal("200000"), choice=redemption.code
    )
    _place(member, redemption.code)

    with pytest.raises(ApplicationError) as refused:
        reward_at_checkout.apply(
            order_id=999, user_id=member.pk, amount=quote["amount"], data=quote["data"]
        )

    assert refused.value.code == "reward_code_invalid"
    redemption.refresh_from_db()
    assert redemption.order_id != 999


def test_cancelling_the_order_frees_the_code_again(member):
    redemption = reward_buy(reward_id=_reward().pk, user=member)
    order = _place(member, redemption.code)

    order_cancel(order_id=order.pk)

    redemption.refresh_from_db()
    assert (redemption.status, redemption.order_id) == (RedemptionStatus.ISSUED, None)
    again = _place(member, redemption.code)
    assert again.adjustments.get().code == "loyalty.reward"
    # the points paid for the reward stay spent
    assert balance_of(user_id=member.pk).available == 4000
    assert list(ledger_mismatches()) == []


def test_a_partial_refund_keeps_the_code_used_and_a_full_one_frees_it(member):
    redemption = reward_buy(reward_id=_reward().pk, user=member)
    order = _place(member, redemption.code)
    order_mark_paid(order_id=order.pk, payment_reference="BCA-1")

    order_refund(order_id=order.pk, amount=Decimal("35000"))
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.USED

    order_refund(order_id=order.pk)
    redemption.refresh_from_db()
    assert (redemption.status, redemption.order_id) == (RedemptionStatus.ISSUED, None)
