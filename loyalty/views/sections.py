"""The Rewards page's blocks: tier progress, this month's leaderboard,
early access, the referral link and how to earn (each a `rewards_section`
with its own template under loyalty/sections/).

What several blocks read (the tier ladder, the member's tier, the earning
rules) is read once per request, so the page's queries stay a fixed number
whatever the data holds."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.money import format_money
from loyalty.models import EarningRule, RuleCode, TierBasis, TierPeriod
from loyalty.selectors.early_access import early_access_summary
from loyalty.selectors.leaderboards import MONTH, OVERALL, leaderboard
from loyalty.selectors.referrals import referral_summary
from loyalty.selectors.rules import enabled_rules
from loyalty.selectors.tiers import TierProgress, tier_progress, tiers_ladder
from loyalty.services.referrals import referral_code_for
from loyalty.views.leaderboards import board_marks
from loyalty.views.rewards import rewards_section

TEASER_SIZE = 5
DROPS_NAMED = 3

# What each rule rewards, as members read it.
RULE_ACTIONS = {
    RuleCode.PURCHASE: gettext_lazy("Shop with us"),
    RuleCode.SIGNUP: gettext_lazy("Create your account"),
    RuleCode.EMAIL_VERIFIED: gettext_lazy("Verify your email address"),
    RuleCode.REVIEW: gettext_lazy("Write a product review"),
    RuleCode.REVIEW_PHOTO: gettext_lazy("Add a photo to your review"),
    RuleCode.FIRST_REVIEW: gettext_lazy("Write the first review of a product"),
    RuleCode.REVIEW_HELPFUL: gettext_lazy("Get your review marked helpful"),
    RuleCode.ANSWER: gettext_lazy("Answer a shopper's question"),
    RuleCode.ANSWER_ACCEPTED: gettext_lazy("Have your answer accepted"),
    RuleCode.FORUM_THREAD: gettext_lazy("Start a forum thread"),
    RuleCode.FORUM_REPLY: gettext_lazy("Reply in the forums"),
    RuleCode.POLL_VOTE: gettext_lazy("Vote in a poll"),
    RuleCode.DAILY_VISIT: gettext_lazy("Visit on consecutive days"),
    RuleCode.BIRTHDAY: gettext_lazy("On your birthday"),
    RuleCode.PROFILE_COMPLETED: gettext_lazy("Complete your profile"),
    RuleCode.REFERRAL: gettext_lazy("Invite a friend"),
}
TRUST_LEVELS = {1: gettext_lazy("Basic"), 2: gettext_lazy("Member")}


def _memo(request, key: str, read: Callable):
    store = request.__dict__.setdefault("_rewards_page", {})
    if key not in store:
        store[key] = read()
    return store[key]


def _ladder(request) -> list:
    return _memo(request, "ladder", tiers_ladder)


def _progress(request) -> TierProgress:
    return _memo(request, "progress", lambda: tier_progress(request.user, ladder=_ladder(request)))


def _rules(request) -> list[EarningRule]:
    return _memo(request, "rules", enabled_rules)


def _render(code: str, request, context: dict, place: str = "top") -> dict:
    html = render_to_string(f"loyalty/sections/{code}.html", context, request=request)
    return {"code": code, "html": html, "place": place}


def _points(n) -> str:
    n = int(n)
    return ngettext("%(points)s point", "%(points)s points", n) % {"points": intcomma(n)}


# ------------------------------------------------------------------ tier
def _tier_value_text(value: Decimal, basis: str) -> str:
    return format_money(value) if basis == TierBasis.SPEND else _points(value)


def _multiplier(value: Decimal) -> str:
    """1.5 for 1.50, 2 for 2.00, in the active language's notation."""
    value = Decimal(value).normalize()
    return number_format(value, decimal_pos=max(-value.as_tuple().exponent, 0))


@rewards_section(10)
def tier_section(request, overview) -> dict | None:
    ladder = _ladder(request)
    if not ladder:
        return None
    progress = _progress(request)
    spend = progress.basis == TierBasis.SPEND
    to_next = ""
    if progress.next is not None:
        values = {"tier": progress.next.name}
        if spend:
            values["amount"] = format_money(progress.needed)
            to_next = _("%(amount)s more spend to %(tier)s") % values
        else:
            needed = int(progress.needed)
            values["points"] = intcomma(needed)
            to_next = (
                ngettext(
                    "%(points)s more point to %(tier)s",
                    "%(points)s more points to %(tier)s",
                    needed,
                )
                % values
            )
    rolling = progress.period == TierPeriod.ROLLING_12_MONTHS
    if spend:
        qualifying = (
            _("%(amount)s spent in the last 12 months")
            if rolling
            else _("%(amount)s spent this year")
        ) % {"amount": format_money(progress.qualifying)}
    else:
        qualifying = (
            _("%(points)s qualifying points in the last 12 months")
            if rolling
            else _("%(points)s qualifying points this year")
        ) % {"points": intcomma(int(progress.qualifying))}
    steps = [
        {
            "tier": tier,
            "from": _tier_value_text(tier.threshold, progress.basis),
            "multiplier": _multiplier(tier.multiplier) if tier.multiplier != 1 else "",
            "reached": progress.current is not None
            and tier.threshold <= progress.current.threshold,
            "current": progress.current is not None and tier.pk == progress.current.pk,
        }
        for tier in ladder
    ]
    return _render(
        "tier",
        request,
        {
            "progress": progress,
            "to_next": to_next,
            "qualifying": qualifying,
            "steps": steps,
            "multiplier": _multiplier(progress.current.multiplier)
            if progress.current is not None and progress.current.multiplier != 1
            else "",
            "kept_until": progress.kept_until
            if progress.current is not None and progress.member_tier_id == progress.current.pk
            else None,
        },
    )


# ----------------------------------------------------------- leaderboard
@rewards_section(20, visitors=True)
def leaderboard_section(request, overview) -> dict | None:
    signed_in = request.user.is_authenticated
    board = leaderboard(
        scope=MONTH,
        area=OVERALL,
        user_id=request.user.pk if signed_in else None,
        size=TEASER_SIZE,
    )
    if not board.top and not signed_in:
        return None
    marks = board_marks(board)
    return _render(
        "leaderboard",
        request,
        {
            "board": board,
            "rows": [(place, marks.get(place.user_id, [])) for place in board.top],
            "me_in_top": board.me is not None and board.me.rank <= len(board.top),
            "me_marks": marks.get(board.me.user_id, []) if board.me is not None else [],
            "is_staff": signed_in and (request.user.is_staff or request.user.is_superuser),
        },
    )


# ---------------------------------------------------------- early access
@rewards_section(30)
def early_access_section(request, overview) -> dict | None:
    summary = early_access_summary(
        ladder=_ladder(request),
        member_tier_id=_progress(request).member_tier_id if _ladder(request) else None,
        badge_codes={held.badge.code for held in overview.badges},
        badge_names={badge.code: str(badge.name) for badge in overview.catalogue},
    )
    if summary is None:
        return None
    return _render(
        "early_access",
        request,
        {
            "summary": summary,
            "named": summary.open[:DROPS_NAMED],
            "more": max(len(summary.open) - DROPS_NAMED, 0),
        },
    )


# -------------------------------------------------------------- referral
def _rule(request, code: str) -> EarningRule | None:
    return next((rule for rule in _rules(request) if rule.code == code), None)


@rewards_section(40)
def referral_section(request, overview) -> dict | None:
    rule = _rule(request, RuleCode.REFERRAL)
    if rule is None or not rule.points:
        return None
    summary = referral_summary(user_id=request.user.pk)
    if summary is None:  # the member's first visit: their code is made once
        referral_code_for(user_id=request.user.pk)
        summary = referral_summary(user_id=request.user.pk)
    code = summary.code
    link = request.build_absolute_uri(reverse("account_signup")) + "?" + urlencode({"ref": code})
    values = {"site": settings.SITE_NAME, "points": intcomma(rule.points)}
    share_text = (
        ngettext(
            "Join me at %(site)s: you get %(points)s point after your first order.",
            "Join me at %(site)s: you get %(points)s points after your first order.",
            rule.points,
        )
        % values
    )
    return _render(
        "referral",
        request,
        {
            "rule": rule,
            "link": link,
            "share_text": f"{share_text} {link}",
            "summary": summary,
            "points_each": intcomma(rule.points),
        },
    )


# ------------------------------------------------------------ how to earn
def _purchase_text(per_unit: Decimal) -> str:
    """ "1 point for every Rp 10,000 spent": the smallest round amount that
    earns a whole number of points (rounded down past Rp 1,000,000,000)."""
    amounts = [Decimal(10) ** exponent for exponent in range(10)]
    earning = [amount for amount in amounts if amount * per_unit >= 1] or [Decimal(1)]
    amount = next(
        (a for a in earning if a * per_unit == (a * per_unit).to_integral_value()), earning[0]
    )
    points = int(amount * per_unit)
    return ngettext(
        "%(points)s point for every %(amount)s spent",
        "%(points)s points for every %(amount)s spent",
        points,
    ) % {"points": intcomma(points), "amount": format_money(amount)}


def _earning_item(rule: EarningRule) -> dict | None:
    if rule.code == RuleCode.PURCHASE:
        if rule.points_per_unit <= 0:
            return None
        reward = _purchase_text(rule.points_per_unit)
    elif not rule.points:
        return None
    elif rule.code == RuleCode.DAILY_VISIT:
        reward = ngettext(
            "%(points)s point for each day of your streak",
            "%(points)s points for each day of your streak",
            rule.points,
        ) % {"points": intcomma(rule.points)}
    elif rule.code == RuleCode.REFERRAL:
        reward = ngettext(
            "%(points)s point each for you and your friend after their first order",
            "%(points)s points each for you and your friend after their first order",
            rule.points,
        ) % {"points": intcomma(rule.points)}
    else:
        reward = _points(rule.points)
    limits = []
    if rule.lifetime_cap is not None and rule.lifetime_cap <= rule.points:
        limits.append(_("once"))
    else:
        if rule.daily_cap is not None:
            limits.append(_("up to %(points)s a day") % {"points": _points(rule.daily_cap)})
        if rule.lifetime_cap is not None:
            limits.append(_("up to %(points)s in all") % {"points": _points(rule.lifetime_cap)})
    if rule.min_trust_level in TRUST_LEVELS:
        limits.append(
            _("from the %(level)s trust level") % {"level": TRUST_LEVELS[rule.min_trust_level]}
        )
    return {
        "code": rule.code,
        "action": RULE_ACTIONS.get(rule.code, rule.get_code_display()),
        "reward": reward,
        "limits": limits,
    }


@rewards_section(90, visitors=True)
def earning_section(request, overview) -> dict | None:
    items = [item for rule in _rules(request) if (item := _earning_item(rule))]
    if not items:
        return None
    return _render(
        "how_to_earn",
        request,
        {"items": items, "tiers": any(tier.multiplier > 1 for tier in _ladder(request))},
        place="end" if request.user.is_authenticated else "top",
    )
