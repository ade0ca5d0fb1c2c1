"""Reads of tiers: a member's qualifying value, tier progress, the
multiplier of purchase points and the marks next to members' names."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from loyalty.models import (
    Award,
    MemberSpend,
    MemberTier,
    ProgramSettings,
    Tier,
    TierBasis,
    TierPeriod,
)

ZERO = Decimal("0")
ONE = Decimal("1")


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_start(*, now: datetime, period: str) -> datetime:
    """Where the qualifying period that contains `now` begins."""
    local = timezone.localtime(now)
    if period == TierPeriod.ROLLING_12_MONTHS:
        return _add_months(local, -12)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def kept_until(*, reached_at: datetime, period: str) -> date:
    """The last day a tier reached at `reached_at` is kept: through the
    following calendar year, or 12 months after reaching it."""
    local = timezone.localtime(reached_at)
    if period == TierPeriod.ROLLING_12_MONTHS:
        return _add_months(local, 12).date()
    return date(local.year + 1, 12, 31)


def qualifying_value(
    *, user_id: int, now: datetime | None = None, program: ProgramSettings | None = None
) -> Decimal:
    """Qualifying points (net of reversals, spending never counts) or spend
    in the current period: one aggregate query."""
    return qualifying_values(user_ids=[user_id], now=now, program=program).get(user_id, ZERO)


def qualifying_values(
    *, user_ids, now: datetime | None = None, program: ProgramSettings | None = None
) -> dict[int, Decimal]:
    """`qualifying_value` of many members ({user_id: value}; a member with
    nothing is left out), in one grouped query."""
    program = program or ProgramSettings.current()
    now = now or timezone.now()
    start = period_start(now=now, period=program.tier_period)
    ids = set(user_ids)
    if program.tier_basis == TierBasis.SPEND:
        rows = (
            MemberSpend.objects.filter(
                user_id__in=ids, paid_at__gte=start, paid_at__lte=now, cancelled=False
            )
            .values("user_id")
            .annotate(total=Sum(F("paid_total") - F("refunded_total")))
        )
    else:
        rows = (
            Award.objects.filter(user_id__in=ids, created_at__gte=start, created_at__lte=now)
            .values("user_id")
            .annotate(total=Sum("net"))
        )
    return {row["user_id"]: max(Decimal(row["total"] or 0), ZERO) for row in rows.order_by()}


def tiers_ladder() -> list[Tier]:
    """Every tier, lowest threshold first."""
    return list(Tier.objects.order_by("threshold", "order", "pk"))


def tier_for(value: Decimal, ladder: list[Tier]) -> Tier | None:
    reached = None
    for tier in ladder:
        if tier.threshold <= value:
            reached = tier
    return reached


@dataclass(frozen=True)
class TierProgress:
    current: Tier | None
    next: Tier | None
    qualifying: Decimal
    needed: Decimal  # to reach `next`; 0 at the top
    kept_until: date | None = None
    basis: str = TierBasis.POINTS
    period: str = TierPeriod.CALENDAR_YEAR
    # The tier stored for the member (MemberTier), which early access goes
    # by; `current` falls back to the tier the value reaches without one.
    member_tier_id: int | None = None

    @property
    def percent(self) -> int:
        """How far along the bar to the next tier is (0..100)."""
        if self.next is None:
            return 100
        floor = self.current.threshold if self.current is not None else ZERO
        span = self.next.threshold - floor
        if span <= 0:
            return 100
        return max(0, min(100, int((self.qualifying - floor) * 100 / span)))


def tier_progress(user, *, ladder: list[Tier] | None = None) -> TierProgress:
    """The member's tier, the next one up and what it still takes (a
    progress bar). Four queries, three when given the `ladder`."""
    program = ProgramSettings.current()
    ladder = tiers_ladder() if ladder is None else ladder
    value = qualifying_value(user_id=user.pk, program=program)
    row = MemberTier.objects.filter(user_id=user.pk).first()
    current = None
    if row is not None and row.tier_id is not None:
        current = next((t for t in ladder if t.pk == row.tier_id), None)
    if current is None:
        current = tier_for(value, ladder)
    nxt = next((t for t in ladder if current is None or t.threshold > current.threshold), None)
    needed = max(nxt.threshold - value, ZERO) if nxt is not None else ZERO
    return TierProgress(
        current=current,
        next=nxt,
        qualifying=value,
        needed=needed,
        kept_until=row.kept_until if row is not None else None,
        basis=program.tier_basis,
        period=program.tier_period,
        member_tier_id=row.tier_id if row is not None else None,
    )


def tier_multiplier(user_id: int) -> Decimal:
    """The earning multiplier of the member's tier (1 without one)."""
    multiplier = (
        MemberTier.objects.filter(user_id=user_id, tier__isnull=False)
        .values_list("tier__multiplier", flat=True)
        .first()
    )
    return multiplier if multiplier is not None else ONE


def member_tier_marks(user_ids: Iterable[int]) -> dict[int, list[dict]]:
    """MEMBER_MARKS: each member's tier, one query for every id; none for a
    base tier (threshold 0)."""
    ids = {int(pk) for pk in user_ids}
    if not ids:
        return {}
    rows = (
        MemberTier.objects.filter(user_id__in=ids, tier__isnull=False)
        .exclude(Q(tier__threshold__lte=0))
        .select_related("tier")
    )
    return {row.user_id: [{"label": row.tier.label, "title": row.tier.name}] for row in rows}
