"""django-axes glue: whose failures are counted, and what a locked-out
visitor sees."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE. allauth authenticates with `email=...`, not
    with the form's `login` field, so axes' default lookup found no username
    and counted every failure against the IP alone. Lower-cased, so
    `Member@` and `member@` share one counter."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if not value and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("login") or data.get("email") or data.get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page that says what happened and what to do,
    with status 429 and Retry-After. Uses AXES_LOCKOUT_TEMPLATE when the site
    provides it, a plain page otherwise (never a server error)."""
    cooloff_hours = settings.AXES_COOLOFF_TIME
    retry_after = (
        int(cooloff_hours * 3600)
        if isinstance(cooloff_hours, int | float) and cooloff_hours
        else 3600
    )
    message = _(
        "Too many failed login attempts: logging in to this account from here is "
        "blocked for a while. Try again later, or reset your password."
    )
    context = {
        "message": message,
        "cooloff_hours": cooloff_hours,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "password_reset_url": reverse("account_reset_password"),
    }
    try:
        get_template(settings.AXES_LOCKOUT_TEMPLATE)
    except (TemplateDoesNotExist, TypeError, ValueError):
        body = format_html(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{}</title></head>'
            '<body><main><h1>{}</h1><p>{}</p><p><a href="{}">{}</a></p></main></body></html>',
            _("Account locked"),
            _("Account locked"),
            message,
            context["password_reset_url"],
            _("Reset your password"),
        )
        response = HttpResponse(body, status=429)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
