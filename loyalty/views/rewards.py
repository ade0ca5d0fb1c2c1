"""The Rewards page and the member's full points history."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from loyalty.selectors.ledger import history_of
from loyalty.selectors.rewards import rewards_overview

HISTORY_PAGE_SIZE = 50

# Parts of the program add blocks to the Rewards page (tier progress,
# leaderboards, early access, referral, how to earn): fn(request, overview)
# -> {"code": str, "html": safe str, "place": "top" | "end"} | None, in
# `order`. "top" (the default) is below the balance, "end" below the
# history. Only sections registered with `visitors=True` are asked for a
# visitor's page.
_sections: list[tuple[int, Callable, bool]] = []


def rewards_section(order: int = 50, *, visitors: bool = False):
    def decorator(fn):
        if all(existing is not fn for _, existing, _visitors in _sections):
            _sections.append((order, fn, visitors))
            _sections.sort(key=lambda item: item[0])
        return fn

    return decorator


@require_safe
def rewards_index(request: HttpRequest) -> HttpResponse:
    overview = rewards_overview(user=request.user)
    signed_in = request.user.is_authenticated
    places: dict[str, list[dict]] = {"top": [], "end": []}
    for _order, fn, for_visitors in _sections:
        if not (signed_in or for_visitors):
            continue
        section = fn(request, overview)
        if section:
            places[section.get("place", "top")].append(section)
    return render(
        request,
        "loyalty/index.html",
        {"overview": overview, "sections": places["top"], "end_sections": places["end"]},
    )


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
