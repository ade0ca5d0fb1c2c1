from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal.flows.login import perform_login
from allauth.account.internal.flows.signup import complete_signup
from allauth.account.models import Login
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, at most 2 MB. It is cropped to a square."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "bio", "birthday", "language"]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"language": _("Language of your emails")}
        help_texts = {
            "language": _(
                "Notifications and other emails are written in it. Switching the "
                "site's language (at the bottom of every page) changes it too."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].help_text = _(
            "Shown next to your reviews, questions and posts and on leaderboards. "
            "Left empty, you are shown as “%(name)s”. Your email address is never shown."
        ) % {"name": self.instance.numbered_name}
        self.fields["language"].choices = [
            ("", _("The site's default language")),
            *settings.LANGUAGES,
        ]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("For example: “Mobile app” or “Stock sync script”."),
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type DELETE to confirm"),
        max_length=10,
    )

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value.strip().upper() != "DELETE":
            raise forms.ValidationError(
                _("Type DELETE to confirm that you want to delete your account.")
            )
        return value


def _clean_admin_email(form) -> str:
    """Emails are stored lower-case (allauth logs in by the lower-cased
    address) and are unique whatever their case."""
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(_("A user with this email address already exists."))
    return email


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]

    def clean_email(self) -> str:
        return _clean_admin_email(self)


class AdminUserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_admin_email(self)


class SignupForm(AllauthSignupForm):
    """ACCOUNT_FORMS["signup"]: sign-up does not tell who has an account.

    allauth prevents enumeration at sign-up only with mandatory verification;
    the site's is optional (members sign in unverified). So sign-up alone is
    treated as mandatory: a new address and a taken one both get one email
    (the confirmation link, or "you already have an account" to its owner)
    and the same "verify your email" page; the new member is signed in by the
    link. Signing in later works unverified, as before."""

    def validate_unique_email(self, value: str) -> str:
        from accounts.models import User

        email = value.strip().lower()
        self.account_already_exists = User.objects.filter(email__iexact=email).exists()
        return email

    def try_save(self, request):
        verification = allauth_settings.EmailVerificationMethod.MANDATORY
        if self.account_already_exists:
            login = Login(
                user=None,
                email=self.cleaned_data["email"],
                signup=True,
                email_verification=verification,
            )
            return None, perform_login(request, login)
        user = self.save(request)
        return user, complete_signup(request, user=user, email_verification=verification)
