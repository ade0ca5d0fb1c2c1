"""Bounties on the site: the panel on a question's page (core.hooks.
QUESTION_PANELS) with the form to offer one, the offer itself, and the list
of open bounties."""

from __future__ import annotations

import unicodedata

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from loyalty.models import BountyStatus, ProgramSettings
from loyalty.selectors.bounties import bounty_rows, open_bounties, question_bounties, question_facts
from loyalty.selectors.rewards import cached_balance
from loyalty.services.bounties import bounty_offer, bounty_refusal
from loyalty.views.rewards import rewards_section

PAGE_SIZE = 20
ON_REWARDS_PAGE = 3
# A refused offer, kept for the question's page after the redirect:
# {"question_id": int, "message": str, "points": str}.
REFUSAL_SESSION_KEY = "loyalty.bounty_refusal"
# A number with more digits is larger than any bounty a program allows (a
# PositiveIntegerField): it is refused as too large without being read.
POINTS_MAX_DIGITS = 18
POINTS_ECHO_MAX = 40  # characters of a refused value shown back in the form


def _refusal_for(request: HttpRequest, question_id: int) -> dict | None:
    stored = request.session.get(REFUSAL_SESSION_KEY) if hasattr(request, "session") else None
    if not isinstance(stored, dict) or stored.get("question_id") != question_id:
        return None
    del request.session[REFUSAL_SESSION_KEY]
    return stored


def question_bounty_panel(*, request: HttpRequest, question: dict) -> list[dict]:
    """core.hooks.QUESTION_PANELS: the question's open bounty (or the ones it
    paid) for everyone, and for a signed-in member the form to offer one
    while the question can take it. One query, plus the program's settings
    when the form is shown."""
    user = request.user
    bounties = question_bounties(question_id=question["id"])
    open_bounty = next((b for b in bounties if b.status == BountyStatus.OPEN), None)
    paid = [b for b in bounties if b.status == BountyStatus.PAID]
    refusal = (_refusal_for(request, question["id"]) if user.is_authenticated else None) or {}
    offer = None
    if user.is_authenticated and open_bounty is None and bounty_refusal(facts=question) is None:
        program = ProgramSettings.current()
        offer = {
            "minimum": program.bounty_minimum_points,
            "maximum": program.bounty_maximum_points,
            "days": program.bounty_days,
            "available": cached_balance(user_id=user.pk).available,
            "value": refusal.get("points") or program.bounty_minimum_points,
            "error": refusal.get("message", ""),
        }
    if open_bounty is None and not paid and offer is None and not refusal:
        return []
    html = render_to_string(
        "loyalty/bounties/_panel.html",
        {
            "question": question,
            "open_bounty": open_bounty,
            "paid": paid,
            "offer": offer,
            # A refused offer whose form is gone (the question took a bounty
            # or was closed meanwhile) is said above the panel instead.
            "refusal": refusal.get("message", "") if offer is None else "",
            "is_offerer": open_bounty is not None and open_bounty.offerer_id == user.pk,
        },
        request=request,
    )
    return [{"code": "bounty", "html": mark_safe(html)}]  # our own template


def _whole_number(raw: str) -> int | None:
    """The whole number typed, or None if it is not one: digits (of any
    script, as Django's IntegerField reads them) with an optional sign."""
    sign, digits = (-1, raw[1:]) if raw[:1] == "-" else (1, raw[1:] if raw[:1] == "+" else raw)
    if not digits or not digits.isdecimal():
        return None
    digits = "".join(str(unicodedata.decimal(c)) for c in digits).lstrip("0") or "0"
    if len(digits) > POINTS_MAX_DIGITS:
        return sign * 10**POINTS_MAX_DIGITS
    return sign * int(digits)


def _parse_id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@require_POST
def bounty_offer_view(request: HttpRequest) -> HttpResponse:
    question_id = _parse_id(request.POST.get("question"))
    facts = question_facts([question_id]).get(question_id) if question_id else None
    unavailable = bounty_refusal(facts=facts, user=request.user)
    if unavailable is not None and unavailable.status_code == 404:
        raise Http404(unavailable.message)
    back = f"{facts['url']}#bounty"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    raw = (request.POST.get("points") or "").strip()
    try:
        points = _whole_number(raw)
        if points is None:
            raise ApplicationError(_("Give a whole number of points."), code="invalid_points")
        bounty = bounty_offer(user=request.user, question_id=question_id, points=points)
    except ApplicationError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        request.session[REFUSAL_SESSION_KEY] = {
            "question_id": question_id,
            "message": error.message,
            "points": raw[:POINTS_ECHO_MAX],
        }
        return redirect(back)
    messages.success(
        request,
        _("Your bounty of %(points)s points is open until %(date)s.")
        % {
            "points": number_format(bounty.points, force_grouping=True),
            "date": date_format(timezone.localtime(bounty.deadline), "DATE_FORMAT"),
        },
    )
    return redirect(back)


@require_safe
def bounty_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(open_bounties(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "loyalty/bounties/list.html", {"page": page, "rows": bounty_rows(page.object_list)}
    )


@rewards_section(order=60)
def rewards_page_bounties(request: HttpRequest, overview) -> dict | None:
    """The Rewards page: a few open bounties, for members who like to answer."""
    rows = [row for row in bounty_rows(open_bounties()[: ON_REWARDS_PAGE * 2]) if row.url]
    if not rows:
        return None
    html = render_to_string(
        "loyalty/bounties/_rewards_section.html",
        {"rows": rows[:ON_REWARDS_PAGE]},
        request=request,
    )
    return {"code": "bounties", "html": mark_safe(html)}  # our own template


urlpatterns = [
    path("bounties/", bounty_list, name="bounties"),
    path("bounties/offer/", bounty_offer_view, name="bounty_offer"),
]
