"""The program in staff's view of a member and of the whole: the points
summary on a member's admin page (core.hooks.ADMIN_USER_PANELS) and the
points liability report."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_money, quantize
from loyalty.models import MemberBadge, MemberTier, PointsAccount, ProgramSettings
from loyalty.selectors.expiry import ExpiryTerms, expiry_at, reminded_this_spell
from loyalty.selectors.liability import points_liability

VIEW_PERMISSION = "loyalty.view_pointsaccount"


def _changelist(name: str, user_id: int) -> str:
    return f"{reverse(f'admin:loyalty_{name}_changelist')}?user__id__exact={user_id}"


def member_admin_panels(*, request, user) -> list[dict]:
    """The member's points, tier and badges for staff who may view points
    accounts (four queries)."""
    staff = request.user
    if not staff.has_perm(VIEW_PERMISSION):
        return []
    program = ProgramSettings.current()
    account = PointsAccount.objects.filter(user_id=user.pk).first()
    tier = MemberTier.objects.filter(user_id=user.pk).select_related("tier").first()
    badges = MemberBadge.objects.filter(user_id=user.pk).count()
    now = timezone.now()
    expires = None
    if account is not None:
        expires = expiry_at(
            account=account, terms=ExpiryTerms.of(program), now=now, staff=user.is_staff
        )
    available = account.available if account is not None else 0
    context = {
        "member": user,
        "account": account,
        "available_value": format_money(quantize(available * program.point_value)),
        "tier": tier.tier if tier is not None else None,
        "tier_kept_until": tier.kept_until if tier is not None else None,
        "badges": badges,
        "expires": expires,
        "reminded": account is not None and reminded_this_spell(account),
        "expiry_off": program.expiry_months == 0,
        "entries_url": (
            _changelist("ledgerentry", user.pk)
            if staff.has_perm("loyalty.view_ledgerentry")
            else ""
        ),
        "awards_url": (
            _changelist("award", user.pk) if staff.has_perm("loyalty.view_award") else ""
        ),
        "account_url": (
            reverse("admin:loyalty_pointsaccount_change", args=[user.pk])
            if account is not None
            else ""
        ),
    }
    return [
        {
            "title": _("Rewards"),
            "html": render_to_string("loyalty/admin/member_panel.html", context, request=request),
        }
    ]


def liability_view(request, *, admin_site):
    """The points liability report: staff who may view points accounts."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    context = {
        **admin_site.each_context(request),
        "title": _("Points liability"),
        "liability": points_liability(),
        "settings_url": reverse("admin:loyalty_programsettings_changelist"),
        "accounts_url": reverse("admin:loyalty_pointsaccount_changelist"),
    }
    return TemplateResponse(request, "admin/loyalty/liability.html", context)
