"""When a member's points expire: one rule for the expiry and reminder tasks
(loyalty.services.expiry), the Rewards page, the balance API and the admin.

- Points expire after `ProgramSettings.expiry_months` without activity:
  earning points (in pending or available) or spending them, as the ledger
  records it in `PointsAccount.last_activity_at`. Points becoming available
  after the return window, refunds and staff adjustments are not activity.
  An account with no activity yet counts from its creation (its points came
  from staff).
- Only available points expire. Pending points are not the member's to
  spend yet (once released they are available, counted from the earning
  that made them); a debt is what the member owes, and expiring it would
  forgive it.
- Staff are left out, as the program's other automatic steps leave them out
  (no earning rules, badges or leaderboards): their points come from staff
  adjustments and are left alone.
- With `expiry_reminder_days` above 0, points never expire without notice:
  a member is reminded once per idle spell, that many days before, and the
  points expire no sooner than that many days after the reminder (the
  program switching expiry on, or the reminder task not running, moves the
  date back rather than taking points unannounced). Points that come after
  an expiry without activity (a refund, a staff adjustment) get a reminder
  of their own: the expiry clears the reminder.
- Points expire at the start of a day (local time), so "expire on 5 March"
  holds for a daily task: they last all of 4 March.
- `expiry_months` 0: points never expire."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.models import PointsAccount, ProgramSettings

# Going back n months and forth again can lose up to 3 days at a month's end
# (31 March + 1 month is 30 April); database filters widen by this much and
# the rule below decides.
MONTH_END_SLACK = timedelta(days=4)


@dataclass(frozen=True)
class ExpiryTerms:
    months: int
    reminder_days: int

    @classmethod
    def of(cls, program: ProgramSettings) -> ExpiryTerms:
        return cls(months=program.expiry_months, reminder_days=program.expiry_reminder_days)

    @property
    def enabled(self) -> bool:
        return self.months > 0

    @property
    def notice(self) -> timedelta:
        return timedelta(days=self.reminder_days)


@dataclass(frozen=True)
class ExpiryNotice:
    """What the member is told: `points` expire on `on` (a local date)."""

    points: int
    on: date
    at: datetime


def add_months(moment: datetime, months: int) -> datetime:
    """The same local wall time `months` later (31 January + 1 month is the
    last day of February)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return timezone.make_aware(naive, local.tzinfo)


def _day_start_at_or_after(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    day = local.date() if local.time() == time.min else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def idle_since(account: PointsAccount) -> datetime:
    return account.last_activity_at or account.created_at


def reminded_this_spell(account: PointsAccount) -> bool:
    """A reminder was sent after the member's last activity."""
    return account.expiry_reminded_at is not None and account.expiry_reminded_at > idle_since(
        account
    )


def _applies(account: PointsAccount, terms: ExpiryTerms, staff: bool) -> bool:
    return terms.enabled and not staff and account.available > 0


def _without_notice(account: PointsAccount, terms: ExpiryTerms) -> datetime:
    return add_months(idle_since(account), terms.months)


def expiry_at(
    *, account: PointsAccount, terms: ExpiryTerms, now: datetime, staff: bool = False
) -> datetime | None:
    """When the account's available points expire if nothing happens (for
    a member not reminded yet: if reminded now); None when they never do."""
    if not _applies(account, terms, staff):
        return None
    moment = _without_notice(account, terms)
    if terms.reminder_days:
        reminded = account.expiry_reminded_at if reminded_this_spell(account) else now
        moment = max(moment, reminded + terms.notice)
    return _day_start_at_or_after(moment)


def expiry_due(
    *, account: PointsAccount, terms: ExpiryTerms, now: datetime, staff: bool = False
) -> bool:
    moment = expiry_at(account=account, terms=terms, now=now, staff=staff)
    return moment is not None and moment <= now


def reminder_due(
    *, account: PointsAccount, terms: ExpiryTerms, now: datetime, staff: bool = False
) -> bool:
    """Once per idle spell, from `reminder_days` before the points would
    expire without notice."""
    if not _applies(account, terms, staff) or not terms.reminder_days:
        return False
    if reminded_this_spell(account):
        return False
    return now >= _without_notice(account, terms) - terms.notice


def expiry_notice(
    *, account: PointsAccount | None, terms: ExpiryTerms, now: datetime, staff: bool = False
) -> ExpiryNotice | None:
    """What the Rewards page and the API say: from the moment a reminder is
    due (or was sent) until the points expire or the member is active."""
    if account is None or not _applies(account, terms, staff):
        return None
    if not (
        reminded_this_spell(account)
        or reminder_due(account=account, terms=terms, now=now, staff=staff)
    ):
        return None
    moment = expiry_at(account=account, terms=terms, now=now, staff=staff)
    return ExpiryNotice(points=account.available, on=timezone.localdate(moment), at=moment)


# ------------------------------------------------------ database candidates


def _members_with_points() -> QuerySet[PointsAccount]:
    return PointsAccount.objects.filter(available__gt=0, user__is_staff=False).annotate(
        idle_from=Coalesce(F("last_activity_at"), F("created_at"))
    )


def _idle_before(moment: datetime, months: int) -> Q:
    """Accounts idle since before `moment` minus `months` (widened by
    MONTH_END_SLACK; the rule decides)."""
    return Q(idle_from__lte=add_months(moment, -months) + MONTH_END_SLACK)


def expiry_candidates(*, terms: ExpiryTerms, now: datetime) -> QuerySet[PointsAccount]:
    """Accounts whose points may be due to expire at `now` (a superset:
    `expiry_due` decides, under the account's lock)."""
    if not terms.enabled:
        return PointsAccount.objects.none()
    accounts = _members_with_points().filter(_idle_before(now, terms.months))
    if terms.reminder_days:
        accounts = accounts.filter(
            expiry_reminded_at__gt=F("idle_from"),
            expiry_reminded_at__lte=now - terms.notice,
        )
    return accounts


def reminder_candidates(*, terms: ExpiryTerms, now: datetime) -> QuerySet[PointsAccount]:
    """Accounts that may be due a reminder at `now` (`reminder_due` decides)."""
    if not terms.enabled or not terms.reminder_days:
        return PointsAccount.objects.none()
    return _members_with_points().filter(
        _idle_before(now + terms.notice, terms.months),
        Q(expiry_reminded_at__isnull=True) | Q(expiry_reminded_at__lte=F("idle_from")),
    )


def expiring_within(*, terms: ExpiryTerms, now: datetime, days: int) -> tuple[int, int]:
    """(points, members): available points that expire in the next `days`
    days if their members stay idle, by the rule above. One query."""
    if not terms.enabled:
        return 0, 0
    horizon = now + timedelta(days=days)
    # The latest an account can be idle from and still expire by `horizon`.
    accounts = _members_with_points().filter(_idle_before(horizon, terms.months))
    if terms.notice > timedelta(days=days):
        # Members not reminded yet: the notice alone reaches past the horizon.
        accounts = accounts.filter(expiry_reminded_at__gt=F("idle_from"))
    rows = accounts.only(
        "user_id", "available", "last_activity_at", "created_at", "expiry_reminded_at"
    )
    points = members = 0
    for account in rows.order_by().iterator(chunk_size=2000):
        moment = expiry_at(account=account, terms=terms, now=now)
        if moment is not None and moment <= horizon:
            points += account.available
            members += 1
    return points, members
