"""The points balance in the site header (core.hooks.HEADER_ITEMS)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import ngettext

from loyalty.selectors.rewards import cached_balance


def points_header_item(request) -> dict | None:
    """Signed-in members only: visitors' pages (the page-cached ones) show
    nothing, so their stored pages stay the same for everyone."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    balance = cached_balance(user_id=user.pk)
    points = balance.available
    return {
        "url": reverse("loyalty:index"),
        "label": ngettext("%(points)s point", "%(points)s points", points)
        % {"points": number_format(points, force_grouping=True)},
        "code": "loyalty.points",
    }
