from __future__ import annotations

from django import forms
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
        fields = ["display_name", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}
        help_texts = {
            "display_name": _("Shown next to your reviews and posts instead of your email."),
        }


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
