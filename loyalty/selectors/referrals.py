"""Reads of referrals: a member's code and how their invitations went."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from loyalty.models import Award, Referral, ReferralCode, RuleCode


@dataclass(frozen=True)
class ReferralSummary:
    code: str
    joined: int  # members who signed up with the code
    ordered: int  # of them, the ones whose first order is paid (both earned)
    points: int  # what the member's referral awards stand at now


def referral_summary(*, user_id: int) -> ReferralSummary | None:
    """The member's code and its results in one query; None before the
    member has a code (loyalty.services.referrals.referral_code_for makes
    it)."""
    made = Referral.objects.filter(referrer_id=OuterRef("user_id")).order_by().values("referrer_id")
    earned = (
        Award.objects.filter(user_id=OuterRef("user_id"), rule=RuleCode.REFERRAL)
        .order_by()
        .values("user_id")
    )
    row = (
        ReferralCode.objects.filter(user_id=user_id)
        .annotate(
            joined=Coalesce(Subquery(made.annotate(n=Count("pk")).values("n")), Value(0)),
            ordered=Coalesce(
                Subquery(
                    made.annotate(n=Count("pk", filter=Q(first_order_id__isnull=False))).values("n")
                ),
                Value(0),
            ),
            points=Coalesce(
                Subquery(earned.annotate(n=Sum("net")).values("n"), output_field=IntegerField()),
                Value(0),
            ),
        )
        .values("code", "joined", "ordered", "points")
        .first()
    )
    return ReferralSummary(**row) if row is not None else None


def referral_code_owner(*, code: str) -> int | None:
    """The id of the current member whose code this is (exactly, as
    stored), or None: nobody's, or a member who left. One query."""
    return (
        ReferralCode.objects.filter(code=code, user__is_active=True, user__deleted_at__isnull=True)
        .values_list("user_id", flat=True)
        .first()
    )
