"""allauth's TOTP activation and recovery-code pages, with one path through
them: the page that sent the member to set up two-factor authentication (the
admin, for staff) is carried along as `next`, and the recovery codes shown
after activation end with a button back to it."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.utils import get_next_redirect_url
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.totp.internal import flows as totp_flows
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import reverse


def _next_url(request) -> str:
    """The `next` of the request when it is a URL of this site, else ""."""
    return get_next_redirect_url(request, REDIRECT_FIELD_NAME) or ""


class ActivateTOTPView(totp_views.ActivateTOTPView):
    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["redirect_field_name"] = REDIRECT_FIELD_NAME
        context["redirect_field_value"] = _next_url(self.request)
        return context

    def form_valid(self, form):
        totp, recovery_codes = totp_flows.activate_totp(self.request, form)
        self.did_generate_recovery_codes = bool(recovery_codes)
        # The code just typed from the new authenticator proves it, as the
        # code at a log-in does: the session counts as having used two-factor
        # authentication (the admin asks for that) and as freshly confirmed,
        # so the recovery codes and the page the member came from follow
        # without another prompt.
        post_authentication(self.request, totp, reauthenticated=True)
        return super(totp_views.ActivateTOTPView, self).form_valid(form)

    def get_success_url(self) -> str:
        url = super().get_success_url()
        next_url = _next_url(self.request)
        if not next_url:
            return url
        if not self.did_generate_recovery_codes:
            return next_url
        return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


activate_totp = ActivateTOTPView.as_view()


class ViewRecoveryCodesView(recovery_code_views.ViewRecoveryCodesView):
    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        next_url = _next_url(self.request)
        context["continue_url"] = next_url
        context["continue_to_admin"] = bool(next_url) and next_url.startswith(
            reverse("admin:index")
        )
        return context


view_recovery_codes = ViewRecoveryCodesView.as_view()
