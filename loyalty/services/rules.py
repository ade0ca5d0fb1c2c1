"""Awarding by the earning rules: the rule's enabled flag, the trust level it
needs, staff exclusion and the caps, then `points_award` (the ledger)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from core import hooks
from loyalty.models import Area, Award, EarningRule
from loyalty.services.ledger import (
    Grant,
    accounts_lock,
    award_standing,
    awards_existing,
    points_award_many,
)

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


def member_trust_levels(user_ids: Iterable[int]) -> dict[int, int]:
    """The members' community trust levels (0 with no provider), in one call."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    for fn in hooks.get_hooks(hooks.MEMBER_TRUST_LEVELS):
        levels = fn(ids)
        return {user_id: int(levels.get(user_id, 0)) for user_id in ids}
    return dict.fromkeys(ids, 0)


def member_trust_level(user_id: int) -> int:
    """The member's community trust level (0 with no provider)."""
    return member_trust_levels([user_id])[user_id]


def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _earned_so_far(
    *, rules: Iterable[EarningRule], user_ids: Iterable[int], now: datetime
) -> dict[tuple[int, str], list[int]]:
    """{(member, rule): [points ever, points today]} of the capped rules'
    awards, in one query."""
    codes = {
        rule.code for rule in rules if rule.daily_cap is not None or rule.lifetime_cap is not None
    }
    ids = set(user_ids)
    if not codes or not ids:
        return {}
    start = _day_start(now)
    rows = (
        Award.objects.filter(user_id__in=ids, rule__in=codes)
        .values("user_id", "rule")
        .annotate(
            ever=Sum("points"),
            today=Sum(
                "points",
                filter=Q(created_at__gte=start, created_at__lt=start + timedelta(days=1)),
            ),
        )
        .order_by()
    )
    return {(row["user_id"], row["rule"]): [row["ever"] or 0, row["today"] or 0] for row in rows}


def _cap(rule: EarningRule, points: int, earned: list[int]) -> int:
    ever, today = earned
    if rule.daily_cap is not None:
        points = min(points, rule.daily_cap - today)
    if rule.lifetime_cap is not None:
        points = min(points, rule.lifetime_cap - ever)
    return max(points, 0)


def capped_points(*, rule: EarningRule, user_id: int, points: int, now: datetime) -> int:
    """`points` clipped to what the rule's daily and lifetime caps leave the
    member (counted from their awards of the rule; call under the account
    lock so concurrent awards count each other)."""
    if rule.daily_cap is None and rule.lifetime_cap is None:
        return points
    earned = _earned_so_far(rules=[rule], user_ids=[user_id], now=now)
    return _cap(rule, points, earned.get((user_id, rule.code), [0, 0]))


@dataclass(frozen=True, kw_only=True)
class Earn:
    """Something a member did that a rule may pay for (see `rule_award`)."""

    code: str
    user_id: int | None
    subject: str
    area: str = Area.OTHER
    source_event_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    points: int | None = None
    pending: bool = False
    hold_order_id: int | None = None
    available_at: datetime | None = None
    note: str = ""


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
    earn = Earn(
        code=code,
        user_id=user_id,
        subject=subject,
        area=area,
        source_event_id=source_event_id,
        occurred_at=occurred_at,
        points=points,
        pending=pending,
        hold_order_id=hold_order_id,
        available_at=available_at,
        note=note,
    )
    return rule_award_many([earn], rules={code: rule} if rule is not None else None)[0]


def rule_award_many(
    earns: list[Earn], *, rules: dict[str, EarningRule | None] | None = None
) -> list[Award | None]:
    """`rule_award` for many at once (a batch of events), in order, in one
    transaction: the rules, the members' accounts (locked in member order),
    their existing awards, staff flags, trust levels and what the caps have
    counted so far are read once for all; a member's awards in the batch
    count against their caps in turn. Returns each one's award or None.

    `rules`: {code: rule} already read (None or a disabled rule pays nothing)."""
    results: list[Award | None] = [None] * len(earns)
    wanted = {earn.code for earn in earns if earn.user_id is not None}
    rules = dict(rules or {})
    missing = wanted - rules.keys()
    if missing:
        rules |= {rule.code: rule for rule in EarningRule.objects.filter(code__in=missing)}
    live = [
        (index, earn)
        for index, earn in enumerate(earns)
        if earn.user_id is not None
        and rules.get(earn.code) is not None
        and rules[earn.code].enabled
    ]
    if not live:
        return results
    with transaction.atomic():
        # Concurrent awards of a member must count each other against the caps.
        accounts = accounts_lock(user_ids=[earn.user_id for _i, earn in live])
        existing = awards_existing((earn.user_id, earn.code, earn.subject) for _i, earn in live)
        first_time = {
            earn.user_id
            for _i, earn in live
            if (earn.user_id, earn.code, earn.subject) not in existing
        }
        staff = dict(
            get_user_model().objects.filter(pk__in=first_time).values_list("pk", "is_staff")
        )
        trust = member_trust_levels(
            earn.user_id for _i, earn in live if rules[earn.code].min_trust_level
        )
        now = timezone.now()
        earned = _earned_so_far(
            rules=[rules[code] for code in {earn.code for _i, earn in live}],
            user_ids=first_time,
            now=now,
        )
        granted: dict[tuple[int, str, str], int] = {}
        grants: list[tuple[int, Grant]] = []
        for index, earn in live:
            rule = rules[earn.code]
            key = (earn.user_id, earn.code, earn.subject)
            if key in existing:
                points = existing[key].points
            elif key in granted:
                points = granted[key]
            else:
                if staff.get(earn.user_id, True):
                    continue  # staff earn nothing; nor does a member that no longer exists
                if rule.min_trust_level and trust.get(earn.user_id, 0) < rule.min_trust_level:
                    continue
                points = rule.points if earn.points is None else earn.points
                if rule.daily_cap is not None or rule.lifetime_cap is not None:
                    so_far = earned.setdefault((earn.user_id, earn.code), [0, 0])
                    points = _cap(rule, points, so_far)
                    so_far[0] += points
                    so_far[1] += points
                granted[key] = points
            grants.append(
                (
                    index,
                    Grant(
                        user_id=earn.user_id,
                        rule=earn.code,
                        subject=earn.subject,
                        points=points,
                        area=earn.area,
                        source_event_id=earn.source_event_id,
                        occurred_at=earn.occurred_at,
                        pending=earn.pending,
                        hold_order_id=earn.hold_order_id,
                        available_at=earn.available_at,
                        note=earn.note,
                    ),
                )
            )
        awarded = points_award_many(
            [grant for _i, grant in grants], accounts=accounts, existing=existing
        )
    for (index, _grant), award in zip(grants, awarded, strict=True):
        results[index] = award
    return results


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
    """Set the standing of the member's award of this rule for `subject` by
    the rule's own event (an answer no longer accepted, a helpful vote
    withdrawn): taken back this way, restoring the content does not make it
    stand again."""
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
        withdrawn=share == 0,
    )
