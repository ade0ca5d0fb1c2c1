"""The rewards catalogue: rewards bought with points, and the member's codes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from loyalty.selectors.catalogue import catalogue_page
from loyalty.services.rewards import reward_buy


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    page = catalogue_page(user=request.user, bought_code=request.GET.get("bought", ""))
    return render(request, "loyalty/catalogue.html", {"page": page})


@require_POST
def reward_redeem(request: HttpRequest, reward_id: int) -> HttpResponse:
    """Buy the reward; refusals come back to the catalogue as a message and
    leave the points and the stock as they were."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("loyalty:catalogue"))
    try:
        redemption = reward_buy(reward_id=reward_id, user=request.user)
    except ApplicationError as refused:
        messages.error(request, refused.message)
        return redirect("loyalty:catalogue")
    messages.success(
        request,
        ngettext(
            "You bought “%(name)s” for %(points)s point.",
            "You bought “%(name)s” for %(points)s points.",
            redemption.points,
        )
        % {
            "name": redemption.reward.name,
            "points": number_format(redemption.points, force_grouping=True),
        },
    )
    return redirect(f"{reverse('loyalty:catalogue')}?bought={redemption.code}#bought")


urlpatterns = [
    path("catalogue/", catalogue, name="catalogue"),
    path("catalogue/<int:reward_id>/redeem/", reward_redeem, name="reward_redeem"),
]
