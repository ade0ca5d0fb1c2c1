"""What the program owes its members: the points liability report in the
admin, in three queries however many accounts there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.money import format_money, quantize
from loyalty.models import PointsAccount, ProgramSettings
from loyalty.selectors.expiry import ExpiryTerms, expiring_within

EXPIRING_DAYS = 30


def _money(points: int, point_value: Decimal) -> Decimal:
    return quantize(Decimal(points) * point_value)


@dataclass(frozen=True)
class Liability:
    point_value: Decimal
    available: int
    available_members: int
    staff_available: int  # of `available`, held by staff accounts
    pending: int
    pending_members: int
    debt: int
    debt_members: int
    expiring: int  # available points that expire within `expiring_days`
    expiring_members: int
    expiring_days: int
    expiry_months: int  # 0: points never expire
    at: datetime

    @property
    def available_value(self) -> Decimal:
        return _money(self.available, self.point_value)

    @property
    def pending_value(self) -> Decimal:
        return _money(self.pending, self.point_value)

    @property
    def debt_value(self) -> Decimal:
        return _money(self.debt, self.point_value)

    @property
    def expiring_value(self) -> Decimal:
        return _money(self.expiring, self.point_value)

    @property
    def point_value_text(self) -> str:
        if quantize(self.point_value) == self.point_value:
            return format_money(self.point_value)
        # Finer than the currency's smallest unit (e.g. half a rupiah).
        return f"{self.point_value.normalize()} {settings.STORE_CURRENCY}"

    def rows(self) -> list[dict]:
        """The report's lines: label, points, members, value (None: not money)."""
        rows = [
            {
                "label": _("Available to spend"),
                "points": self.available,
                "members": self.available_members,
                "value": format_money(self.available_value),
                "help": _("What members can take off orders now: the program's liability."),
            },
            {
                "label": _("of which held by staff accounts"),
                "points": self.staff_available,
                "members": None,
                "value": format_money(_money(self.staff_available, self.point_value)),
                "help": _("Staff earn no points by the rules and their points do not expire."),
                "sub": True,
            },
            {
                "label": _("Pending"),
                "points": self.pending,
                "members": self.pending_members,
                "value": format_money(self.pending_value),
                "help": _("Become available once orders are past their return window."),
            },
            {
                "label": _("Owed by members"),
                "points": self.debt,
                "members": self.debt_members,
                "value": format_money(self.debt_value),
                "help": _("Taken back beyond a member's balance; repaid from their next points."),
            },
        ]
        if self.expiry_months:
            rows.insert(
                2,
                {
                    "label": ngettext(
                        "of which expire in the next %(days)d day",
                        "of which expire in the next %(days)d days",
                        self.expiring_days,
                    )
                    % {"days": self.expiring_days},
                    "points": self.expiring,
                    "members": self.expiring_members,
                    "value": format_money(self.expiring_value),
                    "help": _(
                        "Available points of members who stay idle until then "
                        "(the expiry task's rule, reminder period included)."
                    ),
                    "sub": True,
                },
            )
        return rows


def points_liability(*, now: datetime | None = None, days: int = EXPIRING_DAYS) -> Liability:
    """Outstanding available points and their value at checkout, pending
    points, what members owe, and the available points that expire within
    `days` if their members stay idle (the expiry task's rule)."""
    now = now or timezone.now()
    program = ProgramSettings.current()
    # Aliases other than the field names: a filter on `available` must
    # mean the column, not the sum.
    totals = PointsAccount.objects.aggregate(
        sum_available=Sum("available", default=0),
        count_available=Count("pk", filter=Q(available__gt=0)),
        sum_staff=Sum("available", filter=Q(user__is_staff=True), default=0),
        sum_pending=Sum("pending", default=0),
        count_pending=Count("pk", filter=Q(pending__gt=0)),
        sum_debt=Sum("debt", default=0),
        count_debt=Count("pk", filter=Q(debt__gt=0)),
    )
    terms = ExpiryTerms.of(program)
    expiring, expiring_members = expiring_within(terms=terms, now=now, days=days)
    return Liability(
        point_value=program.point_value,
        expiring=expiring,
        expiring_members=expiring_members,
        expiring_days=days,
        expiry_months=program.expiry_months,
        at=now,
        available=totals["sum_available"],
        available_members=totals["count_available"],
        staff_available=totals["sum_staff"],
        pending=totals["sum_pending"],
        pending_members=totals["count_pending"],
        debt=totals["sum_debt"],
        debt_members=totals["count_debt"],
    )
