"""The Rewards page and the member's full points history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from loyalty.selectors.ledger import history_of
from loyalty.selectors.rewards import rewards_overview

HISTORY_PAGE_SIZE = 50

# Parts of the program add blocks to the member's Rewards page (tier
# progress, leaderboards, early access, referral): fn(request, overview) ->
# {"code": str, "html": safe str} | None, in `order`.
_sections: list[tuple[int, object]] = []


def rewards_section(order: int = 50):
    def decorator(fn):
        if all(existing is not fn for _, existing in _sections):
            _sections.append((order, fn))
            _sections.sort(key=lambda item: item[0])
        return fn

    return decorator


@require_safe
def rewards_index(request: HttpRequest) -> HttpResponse:
    overview = rewards_overview(user=request.user)
    sections = []
    if request.user.is_authenticated:
        for _order, fn in _sections:
            section = fn(request, overview)
            if section:
                sections.append(section)
    return render(request, "loyalty/index.html", {"overview": overview, "sections": sections})


@login_required
@require_safe
def rewards_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(history_of(user_id=request.user.pk), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "loyalty/history.html", {"page": page})


urlpatterns = [
    path("", rewards_index, name="index"),
    path("history/", rewards_history, name="history"),
]
