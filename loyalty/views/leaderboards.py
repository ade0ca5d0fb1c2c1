"""The leaderboards page: this week's, this month's and all-time boards,
overall and per area, open to visitors; a member also sees their place."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from loyalty.marks import member_marks
from loyalty.models import Area
from loyalty.selectors.leaderboards import (
    ALL_TIME,
    BOARD_AREAS,
    MONTH,
    OVERALL,
    SCOPE_LABELS,
    SCOPES,
    WEEK,
    leaderboard,
    period_bounds,
)

AREA_LABELS = {
    OVERALL: _("Overall"),
    **{area: Area(area).label for area in BOARD_AREAS if area != OVERALL},
}
DEFAULT_SCOPE, DEFAULT_AREA = MONTH, OVERALL


def board_marks(board) -> dict[int, list[dict]]:
    """The marks beside the names on the board (from the marks cache)."""
    ids = [place.user_id for place in board.top] + ([board.me.user_id] if board.me else [])
    return member_marks(ids) if ids else {}


def _choice(value: str | None, allowed, default: str) -> str:
    """An unknown or missing value shows the default board (an old or
    mistyped link still lands on a leaderboard)."""
    return value if value in allowed else default


@require_safe
def leaderboards(request: HttpRequest) -> HttpResponse:
    scope = _choice(request.GET.get("scope"), SCOPES, DEFAULT_SCOPE)
    area = _choice(request.GET.get("area"), AREA_LABELS, DEFAULT_AREA)
    user = request.user
    board = leaderboard(scope=scope, area=area, user_id=user.pk if user.is_authenticated else None)
    marks = board_marks(board)
    start, end = period_bounds(scope=scope, period=board.period)
    return render(
        request,
        "loyalty/leaderboards.html",
        {
            "board": board,
            "rows": [(place, marks.get(place.user_id, [])) for place in board.top],
            "me_in_top": board.me is not None and board.me.rank <= len(board.top),
            "me_marks": marks.get(board.me.user_id, []) if board.me is not None else [],
            "is_staff": user.is_authenticated and (user.is_staff or user.is_superuser),
            "scope": scope,
            "area": area,
            "scope_tabs": [(code, SCOPE_LABELS[code]) for code in SCOPES],
            "area_tabs": list(AREA_LABELS.items()),
            "period_start": start,
            "period_last_day": (end - timedelta(days=1)) if end is not None else None,
            "is_week": scope == WEEK,
            "is_all_time": scope == ALL_TIME,
        },
    )
