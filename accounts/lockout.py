"""django-axes glue: whose failures are counted, and what a locked-out
visitor sees."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.crypto import salted_hmac
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


# ---------------------------------------------------------- known devices
# Per-account slowing without locking the owner out (OWASP's "device
# cookies"): failed logins for an account from browsers that never signed
# in to it are limited account-wide (ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED,
# across every address, so guessing from many addresses is slowed too); a
# browser that signed in to the account before carries a signed cookie for it
# and is limited only per address. The owner on a new device can still sign
# in by emailed code or reset the password.
KNOWN_DEVICE_COOKIE = "kampung_device"
KNOWN_DEVICE_SALT = "accounts.known-device"
KNOWN_DEVICE_MAX_AGE = 365 * 86400
KNOWN_DEVICE_MAX_ACCOUNTS = 5
UNKNOWN_DEVICE_ACTION = "login_failed_unknown_device"


def _account_mark(login: str) -> str:
    return salted_hmac(KNOWN_DEVICE_SALT, login.strip().lower(), algorithm="sha256").hexdigest()[
        :16
    ]


def _known_marks(request) -> list[str]:
    try:
        value = request.get_signed_cookie(
            KNOWN_DEVICE_COOKIE, salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_MAX_AGE
        )
    except (KeyError, signing.BadSignature):
        return []
    return [mark for mark in value.split(",") if mark][:KNOWN_DEVICE_MAX_ACCOUNTS]


def device_known_for(request, login: str) -> bool:
    return bool(login) and _account_mark(login) in _known_marks(request)


def device_remember(request, response, login: str) -> None:
    """After a successful sign-in: this browser is known for `login`."""
    if not login or response is None or not hasattr(response, "set_signed_cookie"):
        return
    mark = _account_mark(login)
    marks = [mark, *(m for m in _known_marks(request) if m != mark)]
    response.set_signed_cookie(
        KNOWN_DEVICE_COOKIE,
        ",".join(marks[:KNOWN_DEVICE_MAX_ACCOUNTS]),
        salt=KNOWN_DEVICE_SALT,
        max_age=KNOWN_DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def unknown_device_rates() -> dict[str, str]:
    return {UNKNOWN_DEVICE_ACTION: settings.ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED}
