"""Awards that no other app's event triggers: the daily visit streak and
birthdays."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.models import Area, Award, RuleCode
from loyalty.services.rules import rule_award, rule_get

STREAK_MAX_DAYS = 7


def visit_subject(day: date) -> str:
    return f"visit:{day.isoformat()}"


def visit_streak(*, user_id: int, day: date) -> int:
    """How many days in a row, ending with `day`, the member has visited
    (`day` included), up to STREAK_MAX_DAYS, in one query."""
    before = [day - timedelta(days=n) for n in range(1, STREAK_MAX_DAYS)]
    seen = set(
        Award.objects.filter(
            user_id=user_id,
            rule=RuleCode.DAILY_VISIT,
            subject__in=[visit_subject(d) for d in before],
        ).values_list("subject", flat=True)
    )
    streak = 1
    for previous in before:
        if visit_subject(previous) not in seen:
            break
        streak += 1
    return streak


def daily_visit_award(*, user_id: int, day: date) -> Award | None:
    """The member's first signed-in visit of `day`: the rule's points times
    the streak's length (capped at STREAK_MAX_DAYS days)."""
    rule = rule_get(RuleCode.DAILY_VISIT)
    if rule is None:
        return None
    streak = visit_streak(user_id=user_id, day=day)
    return rule_award(
        code=RuleCode.DAILY_VISIT,
        rule=rule,
        user_id=user_id,
        subject=visit_subject(day),
        points=rule.points * streak,
        area=Area.ACCOUNT,
        note=_("Day %(days)s of the visit streak.") % {"days": streak},
    )


def birthdays_award(*, today: date | None = None) -> int:
    """Award the birthday rule to every active member whose birthday is
    `today` (29 February counts on 28 February in other years), once a year.
    Returns how many were awarded."""
    today = today or timezone.localdate()
    rule = rule_get(RuleCode.BIRTHDAY)
    if rule is None:
        return 0
    members = get_user_model().objects.filter(
        is_active=True,
        is_staff=False,
        birthday__month=today.month,
        birthday__day=today.day,
    )
    if today.month == 2 and today.day == 28 and not _leap(today.year):
        members = get_user_model().objects.filter(
            is_active=True, is_staff=False, birthday__month=2, birthday__day__in=[28, 29]
        )
    subject = f"birthday:{today.year}"
    members = members.exclude(
        pk__in=Award.objects.filter(rule=RuleCode.BIRTHDAY, subject=subject).values("user_id")
    )
    awarded = 0
    for user_id in members.values_list("pk", flat=True).iterator():
        if rule_award(
            code=RuleCode.BIRTHDAY,
            rule=rule,
            user_id=user_id,
            subject=subject,
            area=Area.ACCOUNT,
        ):
            awarded += 1
    return awarded


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
