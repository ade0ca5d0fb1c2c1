"""The member's Early Access page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from loyalty.selectors.early_access import early_access_page


@require_safe
@login_required
def early_access(request):
    page = early_access_page(user=request.user)
    return render(
        request,
        "loyalty/early_access.html",
        {"open_drops": page["open"], "soon_drops": page["soon"], "locked_drops": page["locked"]},
    )
