"""Members' public profiles: /community/u/<handle>/."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from community.selectors import members as member_selectors


@require_safe
def profile(request: HttpRequest, handle: str) -> HttpResponse:
    data = member_selectors.public_profile(handle=handle, viewer=request.user)
    if data is None:
        raise Http404(_("No such member."))
    return render(request, "community/members/profile.html", {"profile": data})


urlpatterns = [
    path("u/<slug:handle>/", profile, name="profile"),
]
