"""The rewards catalogue a member buys from with points, and the codes they
bought ("My rewards"): four queries for a member, one for a visitor, however
many rewards and codes there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.money import format_money
from loyalty.models import PointsAccount, RedemptionStatus, Reward, RewardKind, RewardRedemption

MY_REWARDS_SHOWN = 50


def reward_benefit(reward: Reward) -> str:
    """What the reward gives, in a few words ("Rp 25.000 off your order")."""
    if reward.kind == RewardKind.FREE_SHIPPING:
        if reward.value is None:
            return _("Free shipping on one order")
        return _("Up to %(amount)s off the shipping of one order") % {
            "amount": format_money(reward.value)
        }
    if reward.kind == RewardKind.PERCENT:
        value = Decimal(reward.value)
        whole = value == value.to_integral_value()
        percent = number_format(int(value) if whole else value.normalize(), use_l10n=True)
        return _("%(percent)s%% off one order") % {"percent": percent}
    return _("%(amount)s off one order") % {"amount": format_money(reward.value)}


def reward_conditions(reward: Reward) -> list[str]:
    """The small print: the order's minimum and how long a code lasts."""
    conditions = []
    if reward.minimum_subtotal:
        conditions.append(
            _("For orders from %(amount)s") % {"amount": format_money(reward.minimum_subtotal)}
        )
    if reward.valid_days:
        conditions.append(
            _("Use the code within %(days)s days") % {"days": reward.valid_days}
            if reward.valid_days != 1
            else _("Use the code within a day")
        )
    return conditions


@dataclass
class CatalogueItem:
    reward: Reward
    benefit: str
    conditions: list[str]
    bought: int  # by this member
    available_points: int | None  # None: a visitor

    @property
    def left(self) -> int | None:
        """How many are left in stock (None: unlimited)."""
        if self.reward.stock is None:
            return None
        return max(self.reward.stock - self.reward.bought_count, 0)

    @property
    def sold_out(self) -> bool:
        return self.left == 0

    @property
    def limit_reached(self) -> bool:
        limit = self.reward.limit_per_member
        return limit is not None and self.bought >= limit

    @property
    def points_short(self) -> int:
        if self.available_points is None:
            return 0
        return max(self.reward.points_price - self.available_points, 0)

    @property
    def can_buy(self) -> bool:
        return (
            self.available_points is not None
            and not self.sold_out
            and not self.limit_reached
            and not self.points_short
        )


@dataclass
class MyReward:
    redemption: RewardRedemption
    benefit: str
    state: str  # "unused", "used", "expired"

    @property
    def state_label(self) -> str:
        return {
            "unused": _("Ready to use"),
            "used": _("Used"),
            "expired": _("Expired"),
        }[self.state]


@dataclass
class CataloguePage:
    items: list[CatalogueItem]
    signed_in: bool
    available_points: int = 0
    my_rewards: list[MyReward] = field(default_factory=list)
    bought: MyReward | None = None  # the code just bought, shown first

    @property
    def unused_count(self) -> int:
        return sum(1 for mine in self.my_rewards if mine.state == "unused")


def rewards_on_offer(now=None) -> list[Reward]:
    now = now or timezone.now()
    return list(
        Reward.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("points_price", "pk")
    )


def _state(redemption: RewardRedemption, now) -> str:
    if redemption.status == RedemptionStatus.USED:
        return "used"
    return "expired" if redemption.is_expired(now) else "unused"


def catalogue_page(*, user, bought_code: str = "") -> CataloguePage:
    """The rewards on offer, cheapest first; for a member also their points,
    how many of each they bought, and their codes, newest first (the one
    named `bought_code` is picked out, if it is theirs)."""
    now = timezone.now()
    rewards = rewards_on_offer(now)
    signed_in = user is not None and user.is_authenticated
    if not signed_in:
        return CataloguePage(
            items=[
                CatalogueItem(r, reward_benefit(r), reward_conditions(r), 0, None) for r in rewards
            ],
            signed_in=False,
        )
    account = PointsAccount.objects.filter(user_id=user.pk).only("available").first()
    available = account.available if account is not None else 0
    counts = dict(
        RewardRedemption.objects.filter(user_id=user.pk, reward__in=rewards)
        .order_by()
        .values("reward_id")
        .annotate(n=Count("pk"))
        .values_list("reward_id", "n")
    )
    items = [
        CatalogueItem(r, reward_benefit(r), reward_conditions(r), counts.get(r.pk, 0), available)
        for r in rewards
    ]
    mine = [
        MyReward(redemption, reward_benefit(redemption.reward), _state(redemption, now))
        for redemption in RewardRedemption.objects.filter(user_id=user.pk)
        .select_related("reward")
        .order_by("-created_at", "-pk")[:MY_REWARDS_SHOWN]
    ]
    code = (bought_code or "").strip().upper()
    bought = next((m for m in mine if code and m.redemption.code == code), None)
    return CataloguePage(
        items=items,
        signed_in=True,
        available_points=available,
        my_rewards=mine,
        bought=bought,
    )
