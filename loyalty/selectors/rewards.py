"""What the Rewards page shows a member (or a visitor), read in a fixed
number of queries whatever the member's history holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.money import format_money
from loyalty.balance_cache import balances
from loyalty.models import LedgerEntry, MemberBadge, PointsAccount, ProgramSettings
from loyalty.selectors.badges import ChallengeProgress, badge_catalogue, badges_of, challenges_for
from loyalty.selectors.expiry import ExpiryNotice, ExpiryTerms, expiry_notice
from loyalty.selectors.ledger import Balance, balance_of, history_of

HISTORY_ON_PAGE = 10


def cached_balance(*, user_id: int) -> Balance:
    """The member's balance for the header on every page: from the cache,
    read from the database once after each change (no query per page)."""

    def read(user_id: int) -> tuple[int, int, int]:
        balance = balance_of(user_id=user_id)
        return (balance.available, balance.pending, balance.debt)

    available, pending, debt = balances.get(user_id, read)
    return Balance(available=available, pending=pending, debt=debt)


@dataclass
class RewardsOverview:
    balance: Balance
    value: Decimal  # what the available points take off an order
    point_value: Decimal
    history: list[LedgerEntry] = field(default_factory=list)
    has_more_history: bool = False
    badges: list[MemberBadge] = field(default_factory=list)
    catalogue: list = field(default_factory=list)  # every badge, with `held`
    challenges: list[ChallengeProgress] = field(default_factory=list)
    last_activity_at: object = None
    # "N points expire on <date>", once a reminder is due (None otherwise).
    expiry: ExpiryNotice | None = None

    @property
    def value_text(self) -> str:
        return format_money(self.value)


def rewards_overview(*, user) -> RewardsOverview:
    """The Rewards page's data for `user` (a visitor gets the catalogue)."""
    program = ProgramSettings.current()
    signed_in = user is not None and user.is_authenticated
    catalogue = badge_catalogue()
    if not signed_in:
        for badge in catalogue:
            badge.held = False
        return RewardsOverview(
            balance=Balance(),
            value=Decimal("0"),
            point_value=program.point_value,
            catalogue=catalogue,
            challenges=challenges_for(user_id=None),
        )
    account = PointsAccount.objects.filter(user_id=user.pk).first()
    balance = (
        Balance(available=account.available, pending=account.pending, debt=account.debt)
        if account is not None
        else Balance()
    )
    history = list(history_of(user_id=user.pk)[: HISTORY_ON_PAGE + 1])
    held = badges_of(user_id=user.pk)
    held_ids = {h.badge_id for h in held}
    for badge in catalogue:
        badge.held = badge.pk in held_ids
    return RewardsOverview(
        balance=balance,
        value=(Decimal(balance.available) * program.point_value).quantize(Decimal("1")),
        point_value=program.point_value,
        history=history[:HISTORY_ON_PAGE],
        has_more_history=len(history) > HISTORY_ON_PAGE,
        badges=held,
        catalogue=catalogue,
        challenges=challenges_for(user_id=user.pk),
        last_activity_at=account.last_activity_at if account is not None else None,
        expiry=expiry_notice(
            account=account,
            terms=ExpiryTerms.of(program),
            now=timezone.now(),
            staff=user.is_staff,
        ),
    )
