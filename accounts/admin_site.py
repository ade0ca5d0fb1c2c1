"""Staff reach the admin only through allauth's login (rate limited, axes
guarded) and only with two-factor authentication set up and used in the
current session."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def session_used_mfa(request) -> bool:
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


class KampungAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Kampung administration")
    site_title = gettext_lazy("Kampung admin")
    index_title = gettext_lazy("Shop, community and rewards")

    def has_permission(self, request) -> bool:
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and is_mfa_enabled(user, ["totp"])
            and session_used_mfa(request)
        )

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index")
        query = urlencode({"next": next_url})
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{query}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not is_mfa_enabled(user, ["totp"]):
            messages.warning(
                request,
                _("Staff accounts must set up two-factor authentication before using the admin."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        if not session_used_mfa(request):
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return redirect(next_url)
