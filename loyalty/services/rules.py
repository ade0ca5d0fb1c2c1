"""Awarding by the earning rules: the rule's enabled flag, the trust level it
needs, staff exclusion and the caps, then `points_award` (the ledger)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from core import hooks
from loyalty.models import Area, Award, EarningRule
from loyalty.services.ledger import account_lock, award_standing, points_award

# (code, points, points per currency unit, daily cap, lifetime cap, trust level).
# IDR: 1 point per Rp 10,000 spent. The data migration makes the same rules.
DEFAULT_RULES = [
    ("purchase", 0, Decimal("0.0001"), None, None, 0),
    ("signup", 100, Decimal("0"), None, None, 0),
    ("email_verified", 50, Decimal("0"), None, None, 0),
    ("review", 20, Decimal("0"), 100, None, 0),
    ("review_photo", 10, Decimal("0"), 50, None, 0),
    ("first_review", 30, Decimal("0"), 90, None, 0),
    ("review_helpful", 2, Decimal("0"), 20, None, 0),
    ("answer", 5, Decimal("0"), 25, None, 0),
    ("answer_accepted", 15, Decimal("0"), 75, None, 0),
    ("forum_thread", 5, Decimal("0"), 15, None, 1),
    ("forum_reply", 2, Decimal("0"), 10, None, 1),
    ("poll_vote", 1, Decimal("0"), 5, None, 0),
    ("daily_visit", 1, Decimal("0"), None, None, 0),
    ("birthday", 100, Decimal("0"), None, None, 0),
    ("profile_completed", 30, Decimal("0"), None, 30, 0),
    ("referral", 200, Decimal("0"), None, 2000, 0),
    ("contribution_sold", 25, Decimal("0"), 250, None, 0),
]


def earning_rules_ensure() -> int:
    """Create the default rules that do not exist (an edited rule is kept).
    Returns how many were created."""
    created = EarningRule.objects.bulk_create(
        [
            EarningRule(
                code=code,
                points=points,
                points_per_unit=per_unit,
                daily_cap=daily,
                lifetime_cap=lifetime,
                min_trust_level=trust,
            )
            for code, points, per_unit, daily, lifetime, trust in DEFAULT_RULES
        ],
        ignore_conflicts=True,
    )
    return len([rule for rule in created if rule.pk is not None])


def rule_get(code: str) -> EarningRule | None:
    """The rule, when it exists and is enabled."""
    return EarningRule.objects.filter(code=code, enabled=True).first()


def purchase_points(
    *, rule: EarningRule, total: Decimal | str, multiplier: Decimal = Decimal("1")
) -> int:
    """Points for spending `total`, times the member's tier multiplier
    (rounded down)."""
    points = Decimal(total) * rule.points_per_unit * multiplier
    return int(points.to_integral_value(rounding=ROUND_DOWN)) if points > 0 else 0


def member_trust_level(user_id: int) -> int:
    """The member's community trust level (0 with no provider)."""
    for fn in hooks.get_hooks(hooks.MEMBER_TRUST_LEVELS):
        return int(fn([user_id]).get(user_id, 0))
    return 0


def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def capped_points(*, rule: EarningRule, user_id: int, points: int, now: datetime) -> int:
    """`points` clipped to what the rule's daily and lifetime caps leave the
    member (counted from their awards of the rule; call under the account
    lock so concurrent awards count each other)."""
    if rule.daily_cap is None and rule.lifetime_cap is None:
        return points
    start = _day_start(now)
    earned = Award.objects.filter(user_id=user_id, rule=rule.code).aggregate(
        ever=Sum("points"),
        today=Sum(
            "points",
            filter=Q(created_at__gte=start, created_at__lt=start + timedelta(days=1)),
        ),
    )
    if rule.daily_cap is not None:
        points = min(points, rule.daily_cap - (earned["today"] or 0))
    if rule.lifetime_cap is not None:
        points = min(points, rule.lifetime_cap - (earned["ever"] or 0))
    return max(points, 0)


@transaction.atomic
def rule_award(
    *,
    code: str,
    user_id: int | None,
    subject: str,
    area: str = Area.OTHER,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    points: int | None = None,
    rule: EarningRule | None = None,
    pending: bool = False,
    hold_order_id: int | None = None,
    available_at: datetime | None = None,
    note: str = "",
) -> Award | None:
    """Award the rule's points (or `points`) to the member for `subject`,
    once. Nothing for a disabled rule, a staff member, a member below the
    rule's trust level, or when the caps leave nothing. An existing award is
    only re-stood by a newer event (an answer accepted again), uncapped: caps
    apply when an award is first made."""
    if user_id is None:
        return None
    rule = rule or rule_get(code)
    if rule is None or not rule.enabled:
        return None
    if rule.daily_cap is not None or rule.lifetime_cap is not None:
        # Concurrent awards of the member must count each other against the caps.
        account_lock(user_id=user_id)
    existing = (
        Award.objects.filter(user_id=user_id, rule=code, subject=subject)
        .values_list("points", flat=True)
        .first()
    )
    if existing is None:
        staff = (
            get_user_model().objects.filter(pk=user_id).values_list("is_staff", flat=True).first()
        )
        if staff is None or staff:
            return None
        if rule.min_trust_level and member_trust_level(user_id) < rule.min_trust_level:
            return None
        points = rule.points if points is None else points
        points = capped_points(rule=rule, user_id=user_id, points=points, now=timezone.now())
    else:
        points = existing
    return points_award(
        user_id=user_id,
        rule=code,
        subject=subject,
        points=points,
        area=area,
        source_event_id=source_event_id,
        occurred_at=occurred_at,
        pending=pending,
        hold_order_id=hold_order_id,
        available_at=available_at,
        note=note,
    )


def rule_standing(
    *,
    code: str,
    user_id: int | None,
    subject: str,
    share: float | int,
    source_event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    note: str = "",
) -> Award | None:
    """Set the standing of the member's award of this rule for `subject`."""
    if user_id is None:
        return None
    return award_standing(
        user_id=user_id,
        rule=code,
        subject=subject,
        share=share,
        source_event_id=source_event_id,
        occurred_at=occurred_at,
        note=note,
    )
