"""Flagging, for every kind of content (community.kinds)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.kinds import kind_model
from community.services import moderation as services
from core.exceptions import ApplicationError


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@login_required
def flag(request: HttpRequest, kind: str, content_id: int) -> HttpResponse:
    model = kind_model(kind)
    content = model.objects.filter(pk=content_id).first() if model else None
    if content is None or not content.viewable_by(request.user):
        raise Http404(_("No such post."))
    try:
        result = services.content_flag(
            content=content,
            flagger=request.user,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if result.hidden:
            messages.success(request, _("Thank you. It is hidden until a moderator looks at it."))
        else:
            messages.success(request, _("Thank you. A moderator will look at it."))
    fallback = content.get_absolute_url() if hasattr(content, "get_absolute_url") else "/"
    return redirect(safe_next(request, fallback))


urlpatterns = [
    path("flag/<slug:kind>/<int:content_id>/", flag, name="flag"),
]
