from __future__ import annotations

import contextlib
import json
import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import services
from accounts.forms import ApiTokenForm, DeleteAccountForm, ProfileForm
from accounts.models import ApiToken
from core.exceptions import ApplicationError


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=user)
        if form.is_valid():
            try:
                services.profile_update(
                    user=user,
                    display_name=form.cleaned_data["display_name"],
                    bio=form.cleaned_data["bio"],
                    avatar=form.cleaned_data.get("avatar"),
                    remove_avatar=form.cleaned_data.get("remove_avatar", False),
                    birthday=form.cleaned_data.get("birthday"),
                    clear_birthday="birthday" in request.POST
                    and not form.cleaned_data.get("birthday"),
                    # A form that did not send the field (an older page, a
                    # script) keeps the member's language as it was.
                    language=(
                        form.cleaned_data.get("language", "")
                        if "language" in request.POST
                        else None
                    ),
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("accounts:profile")
        user.refresh_from_db()
        status = 400
    else:
        form = ProfileForm(instance=user)
        status = 200
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "token_form": ApiTokenForm(),
            "tokens": ApiToken.objects.filter(user=user),
            "email_verified": EmailAddress.objects.filter(
                user=user, email__iexact=user.email, verified=True
            ).exists(),
            "mfa_enabled": is_mfa_enabled(user, ["totp"]),
        },
        status=status,
    )


def _can_reauthenticate(user) -> bool:
    return user.has_usable_password() or is_mfa_enabled(user)


def _add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@never_cache  # the response carries the only copy of the key
@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            return render(request, "accounts/token_created.html", {"token": token, "key": key})
    else:
        messages.error(request, _("Give the token a name of at most 60 characters."))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
    except ApplicationError:
        messages.error(request, _("That token does not exist or was already revoked."))
    else:
        messages.success(request, _("The token was revoked; clients using it are logged out."))
    return redirect("accounts:profile")


@login_required
def data_export(request):
    data = services.user_export_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="kampung-data-{stamp}.json"'
    return response


def _logged_in_recently(request) -> bool:
    records = get_authentication_records(request, request.user)
    timeout = allauth_account_settings.REAUTHENTICATION_TIMEOUT
    return bool(records) and time.time() - records[-1]["at"] < timeout


@login_required
@reauthentication_required
def account_delete(request):
    if not _can_reauthenticate(request.user) and not _logged_in_recently(request):
        # allauth (65.22) asks a social-only account for a code sent to its
        # verified email; one with no verified email to send it to has
        # nothing allauth can ask for, so a fresh login is the
        # re-authentication.
        logout(request)
        messages.info(request, _("Log in again to delete your account."))
        return redirect_to_login(reverse("accounts:delete"), reverse("account_login"))
    if request.method == "POST":
        form = DeleteAccountForm(request.POST)
        if form.is_valid():
            services.user_delete(user=request.user)
            logout(request)
            messages.success(
                request,
                _("Your account was deleted. Your posts remain, without your name."),
            )
            return redirect("home")
        status = 400
    else:
        form = DeleteAccountForm()
        status = 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


def set_language(request):
    """Django's set_language (the footer's language switcher), which also
    remembers a signed-in member's choice: their emails are written in it."""
    response = django_set_language(request)
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if request.method == "POST" and cookie is not None and request.user.is_authenticated:
        # (Django sets the cookie only for a language the site offers.)
        with contextlib.suppress(ApplicationError):
            services.user_language_set(user=request.user, language=cookie.value)
    return response
