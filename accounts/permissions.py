"""Who may do what, checked on the object and the user, not on the page.

Posting community content and redeeming points need a verified email
address; browsing and buying do not."""

from __future__ import annotations

from functools import wraps

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission


def has_verified_email(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_has_verified_email", None)
    if cached is None:
        cached = EmailAddress.objects.filter(
            user=user, email__iexact=user.email, verified=True
        ).exists()
        user._has_verified_email = cached
    return cached


def verified_email_required(view):
    """For views that post content or redeem points. Anonymous users go to
    log in; unverified users are sent to their email settings with a clear
    message (allauth resends the link from there)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), _login_url())
        if not has_verified_email(request.user):
            messages.warning(
                request,
                _(
                    "Please verify your email address first: open the link we sent you, "
                    "or send it again below."
                ),
            )
            return redirect("account_email")
        return view(request, *args, **kwargs)

    return wrapper


def _login_url() -> str:
    from django.urls import reverse

    return reverse("account_login")


class HasVerifiedEmail(BasePermission):
    message = gettext_lazy("Verify your email address before doing this.")
    code = "email_not_verified"

    def has_permission(self, request, view) -> bool:
        return has_verified_email(request.user)
