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

from loyalty.marks_cache import marks_changed
from loyalty.models import MemberSpend, MemberTier, ProgramSettings, TierBasis
from loyalty.notifications import notify_tier_reached
from loyalty.selectors.tiers import kept_until, qualifying_value, tier_for, tiers_ladder
from loyalty.services.ledger import account_lock, award_listener


def member_tier_recompute(
    *, user_id: int, now: datetime | None = None, program: ProgramSettings | None = None
) -> MemberTier | None:
    """Bring the member's tier up to date. Call inside a transaction holding
    the member's account lock (`account_lock`). Returns None when no tiers
    are defined."""
    ladder = tiers_ladder()
    if not ladder:
        return None
    program = program or ProgramSettings.current()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    value = qualifying_value(user_id=user_id, now=now, program=program)
    reached = tier_for(value, ladder)
    row, _created = MemberTier.objects.get_or_create(user_id=user_id)
    previous_tier_id = row.tier_id
    rank = {tier.pk: index for index, tier in enumerate(ladder)}
    held = row.tier if row.tier_id in rank and row.kept_until and row.kept_until >= today else None
    reached_rank = rank[reached.pk] if reached is not None else -1
    held_rank = rank[held.pk] if held is not None else -1
    previous_rank = rank.get(row.tier_id, -1) if row.tier_id is not None else -1

    if reached is not None and reached_rank >= held_rank:
        row.tier = reached
        row.reached_at = now
        row.kept_until = kept_until(reached_at=now, period=program.tier_period)
    elif held is None:
        row.tier, row.reached_at, row.kept_until = None, None, None
    row.qualifying = value
    tier_changed = row.tier_id != previous_tier_id
    row.save()
    if tier_changed:
        marks_changed(user_id=user_id)
    climbed = reached is not None and reached_rank > previous_rank and row.tier_id == reached.pk
    if climbed and reached.threshold > 0:  # joining the base tier is no news
        notify_tier_reached(user_id=user_id, tier=reached, now=now, period=program.tier_period)
    return row


@award_listener
def _tier_follows_award(*, award, delta, account) -> None:
    program = ProgramSettings.current()
    if program.tier_basis != TierBasis.POINTS:
        return
    member_tier_recompute(user_id=account.user_id, program=program)


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
