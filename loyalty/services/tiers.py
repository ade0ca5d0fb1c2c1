"""Writes of tiers: a member's tier recomputed after each change of their
qualifying points (an award listener, inside the award's transaction) or
spend (loyalty/tier_handlers.py), and daily for tiers whose keep ran out.

A member's tier is the higher of the tier their qualifying value reaches now
and the tier they hold while it is kept (`MemberTier.kept_until`); reaching
a tier (again) keeps it through the following period. Spending points never
lowers it: only EARN and REVERSE move qualifying points."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.bulk import rows_update
from loyalty.marks_cache import marks_changed
from loyalty.models import MemberSpend, MemberTier, ProgramSettings, TierBasis
from loyalty.notifications import notify_tier_reached
from loyalty.selectors.tiers import ZERO, kept_until, qualifying_values, tier_for, tiers_ladder
from loyalty.services.ledger import account_lock, award_listener


def member_tier_recompute(
    *, user_id: int, now: datetime | None = None, program: ProgramSettings | None = None
) -> MemberTier | None:
    """Bring the member's tier up to date. Call inside a transaction holding
    the member's account lock (`account_lock`). Returns None when no tiers
    are defined."""
    return member_tiers_recompute(user_ids=[user_id], now=now, program=program).get(user_id)


def member_tiers_recompute(
    *, user_ids, now: datetime | None = None, program: ProgramSettings | None = None
) -> dict[int, MemberTier]:
    """`member_tier_recompute` for many members (holding their account
    locks): the ladder, the qualifying values and the tier rows are read,
    and the rows written, once for all. Returns {user_id: row}, empty when
    no tiers are defined."""
    ids = sorted(set(user_ids))
    ladder = tiers_ladder()
    if not ladder or not ids:
        return {}
    program = program or ProgramSettings.current()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    values = qualifying_values(user_ids=ids, now=now, program=program)
    MemberTier.objects.bulk_create(
        [MemberTier(user_id=user_id) for user_id in ids], ignore_conflicts=True
    )
    rows = {row.user_id: row for row in MemberTier.objects.filter(user_id__in=ids)}
    by_pk = {tier.pk: tier for tier in ladder}
    rank = {tier.pk: index for index, tier in enumerate(ladder)}
    changed: list[MemberTier] = []
    for user_id in ids:
        row = rows[user_id]
        value = values.get(user_id, ZERO)
        reached = tier_for(value, ladder)
        previous_tier_id = row.tier_id
        held = (
            by_pk[row.tier_id]
            if row.tier_id in rank and row.kept_until and row.kept_until >= today
            else None
        )
        reached_rank = rank[reached.pk] if reached is not None else -1
        held_rank = rank[held.pk] if held is not None else -1
        previous_rank = rank.get(row.tier_id, -1) if row.tier_id is not None else -1
        before = (row.tier_id, row.reached_at, row.kept_until, row.qualifying)
        if reached is not None and reached_rank >= held_rank:
            row.tier = reached
            row.reached_at = now
            row.kept_until = kept_until(reached_at=now, period=program.tier_period)
        elif held is None:
            row.tier, row.reached_at, row.kept_until = None, None, None
        row.qualifying = value
        if (row.tier_id, row.reached_at, row.kept_until, row.qualifying) != before:
            changed.append(row)
        if row.tier_id != previous_tier_id:
            marks_changed(user_id=user_id)
        climbed = reached is not None and reached_rank > previous_rank and row.tier_id == reached.pk
        if climbed and reached.threshold > 0:  # joining the base tier is no news
            notify_tier_reached(user_id=user_id, tier=reached, now=now, period=program.tier_period)
    if changed:
        stamp = timezone.now()
        for row in changed:
            row.updated_at = stamp
        rows_update(changed, ["tier", "reached_at", "kept_until", "qualifying", "updated_at"])
    return rows


@award_listener
def _tiers_follow_awards(changes) -> None:
    program = ProgramSettings.current()
    if program.tier_basis != TierBasis.POINTS:
        return
    member_tiers_recompute(user_ids={change.account.user_id for change in changes}, program=program)


def tiers_expire(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Beat (daily): members whose kept tier ran out get the tier their
    qualifying value reaches now. One transaction per member. Returns how
    many were recomputed."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    due = list(
        MemberTier.objects.filter(kept_until__lt=today)
        .order_by("kept_until", "pk")
        .values_list("user_id", flat=True)[:limit]
    )
    program = ProgramSettings.current()
    for user_id in due:
        with transaction.atomic():
            account_lock(user_id=user_id)
            member_tier_recompute(user_id=user_id, now=now, program=program)
    return len(due)


def _spend_changed(user_id: int) -> None:
    program = ProgramSettings.current()
    if program.tier_basis == TierBasis.SPEND:
        account_lock(user_id=user_id)
        member_tier_recompute(user_id=user_id, program=program)


@transaction.atomic
def spend_paid(*, order_id: int, user_id: int, total: Decimal, paid_at: datetime) -> None:
    """An order was paid: its total counts towards the member's spend (once)."""
    MemberSpend.objects.bulk_create(
        [MemberSpend(order_id=order_id, user_id=user_id)], ignore_conflicts=True
    )
    spend = MemberSpend.objects.select_for_update().get(order_id=order_id)
    if spend.paid_total is not None:
        return
    spend.paid_total, spend.paid_at = total, paid_at
    spend.save(update_fields=["paid_total", "paid_at"])
    _spend_changed(user_id)


@transaction.atomic
def spend_refunded(*, order_id: int, user_id: int, refunded_total: Decimal) -> None:
    """Refunds so far (`refunded_total` is cumulative, so a late or repeated
    event changes nothing) no longer count."""
    MemberSpend.objects.bulk_create(
        [MemberSpend(order_id=order_id, user_id=user_id)], ignore_conflicts=True
    )
    spend = MemberSpend.objects.select_for_update().get(order_id=order_id)
    if refunded_total <= spend.refunded_total:
        return
    spend.refunded_total = refunded_total
    spend.save(update_fields=["refunded_total"])
    _spend_changed(user_id)


@transaction.atomic
def spend_cancelled(*, order_id: int, user_id: int) -> None:
    """A cancelled order's spend no longer counts."""
    MemberSpend.objects.bulk_create(
        [MemberSpend(order_id=order_id, user_id=user_id)], ignore_conflicts=True
    )
    updated = MemberSpend.objects.filter(order_id=order_id, cancelled=False).update(cancelled=True)
    if updated:
        _spend_changed(user_id)
