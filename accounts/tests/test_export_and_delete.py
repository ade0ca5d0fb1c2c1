from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import services
from accounts.models import ApiToken, User
from accounts.tests.factories import PASSWORD, UserFactory
from core import hooks
from core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _log_in_with_password(client, user) -> None:
    """Password, then the TOTP code when the account has one."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    if response.url == reverse("mfa_authenticate"):
        # A TOTP code is accepted once per period; these tests log in twice.
        cache.clear()
        response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(user)})
        assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def _log_in_and_reauthenticate(client, user) -> None:
    """Deletion needs an explicit, recent re-authentication (allauth)."""
    _log_in_with_password(client, user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _totp_code(user) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(user.totp_secret, counter))


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(out, format="PNG")
    return SimpleUploadedFile("a.png", out.getvalue(), content_type="image/png")


# --- data export -------------------------------------------------------------------


def test_export_returns_the_accounts_data_as_a_json_attachment(client):
    # given
    user = UserFactory(email="sari@example.com", display_name="Sari", bio="Baker", verified=True)
    SocialAccount.objects.create(user=user, provider="google", uid="g-1")
    services.api_token_create(user=user, name="Phone")
    client.force_login(user)

    # when
    response = client.get(reverse("accounts:export"))

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".json" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "sari@example.com"
    assert data["account"]["display_name"] == "Sari"
    assert data["account"]["bio"] == "Baker"
    assert data["email_addresses"] == [
        {"email": "sari@example.com", "verified": True, "primary": True}
    ]
    assert data["social_accounts"][0]["provider"] == "google"
    assert data["api_tokens"][0]["name"] == "Phone"
    assert "exported_at" in data


def test_export_never_contains_secrets(client):
    # given
    user = UserFactory()
    token, key = services.api_token_create(user=user, name="Phone")
    client.force_login(user)

    # when
    body = client.get(reverse("accounts:export")).content.decode()

    # then
    assert key not in body
    assert token.key_hash not in body
    assert user.password not in body


def test_export_includes_sections_added_by_other_apps(client):
    # given
    user = UserFactory()
    client.force_login(user)

    def loyalty_section(exported_user):
        return "loyalty", {"points": 120, "user_id": exported_user.pk}

    # when
    with hooks.registered(hooks.USER_DATA_EXPORT, loyalty_section):
        response = client.get(reverse("accounts:export"))

    # then
    assert json.loads(response.content)["loyalty"] == {"points": 120, "user_id": user.pk}


def test_export_hook_cannot_replace_the_accounts_own_sections(client):
    # given
    user = UserFactory(email="sari@example.com")
    client.force_login(user)

    def clashing(exported_user):
        return "account", {"email": "someone-else@example.com"}

    # when
    with hooks.registered(hooks.USER_DATA_EXPORT, clashing):
        response = client.get(reverse("accounts:export"))

    # then
    data = json.loads(response.content)
    assert data["account"]["email"] == "sari@example.com"
    assert {"email": "someone-else@example.com"} in data.values()


def test_export_sends_anonymous_visitors_to_login(client):
    # when
    response = client.get(reverse("accounts:export"))

    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# --- account deletion -----------------------------------------------------------


@pytest.fixture
def doomed(django_capture_on_commit_callbacks):
    """A user with everything deletion must remove, logged in by password."""
    user = UserFactory(email="sari@example.com", display_name="Sari", bio="Baker", verified=True)
    SocialAccount.objects.create(user=user, provider="github", uid="77")
    user.totp_secret = generate_totp_secret()
    TOTP.activate(user, user.totp_secret)
    services.api_token_create(user=user, name="Phone")
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(user=user, avatar=_png())
    user.refresh_from_db()
    return user


def test_deletion_needs_reauthentication_even_right_after_login(client, doomed):
    # given
    _log_in_with_password(client, doomed)

    # when
    response = client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    doomed.refresh_from_db()
    assert doomed.is_active
    assert doomed.deleted_at is None


def test_deletion_after_reauthenticating_anonymises_the_account(
    client, doomed, settings, django_capture_on_commit_callbacks
):
    # given
    avatar_path = Path(doomed.avatar.path)
    client.force_login(doomed)
    client.post(
        f"{reverse('account_reauthenticate')}?next={reverse('accounts:delete')}",
        {"password": PASSWORD},
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then
    assert response.status_code == 302
    user = User.objects.get(pk=doomed.pk)
    assert not user.is_active
    assert user.deleted_at is not None
    assert "sari" not in user.email
    assert user.email.endswith("@deleted.invalid")
    assert (user.display_name, user.bio, user.avatar.name) == ("", "", "")
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not ApiToken.objects.filter(user=user).exists()
    assert not avatar_path.exists()
    event = OutboxEvent.objects.get(event_type="accounts.user_deleted")
    assert event.payload == {"user_id": user.pk}
    assert "_auth_user_id" not in client.session


def test_deletion_logs_out_every_other_session(client, doomed):
    # given
    other_device = Client()
    _log_in_with_password(other_device, doomed)
    assert other_device.get(reverse("accounts:profile")).status_code == 200
    _log_in_and_reauthenticate(client, doomed)

    # when
    client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then
    response = other_device.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_deleted_account_cannot_log_in_again(client, doomed):
    # given
    _log_in_and_reauthenticate(client, doomed)
    client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # when
    password_login = Client().post(
        reverse("account_login"), {"login": "sari@example.com", "password": PASSWORD}
    )
    code_client = Client()
    code_client.post(reverse("account_request_login_code"), {"email": "sari@example.com"})

    # then
    assert password_login.status_code == 200
    assert "_auth_user_id" not in password_login.client.session
    assert "_auth_user_id" not in code_client.session


def test_deleted_accounts_api_tokens_stop_working(client, doomed):
    # given
    _, key = services.api_token_create(user=doomed, name="Script")
    _log_in_and_reauthenticate(client, doomed)

    # when
    client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then
    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


@pytest.mark.parametrize("confirm", ["", "delete it", "NO", "x" * 500])
def test_wrong_confirmation_is_refused_and_nothing_changes(client, doomed, confirm):
    # given
    _log_in_and_reauthenticate(client, doomed)

    # when
    response = client.post(reverse("accounts:delete"), {"confirm": confirm})

    # then
    assert response.status_code == 400
    user = User.objects.get(pk=doomed.pk)
    assert user.is_active
    assert user.email == "sari@example.com"
    assert user.display_name == "Sari"
    assert EmailAddress.objects.filter(user=user).exists()
    assert ApiToken.objects.filter(user=user).exists()
    assert not OutboxEvent.objects.filter(event_type="accounts.user_deleted").exists()
    assert int(client.session["_auth_user_id"]) == user.pk


def test_deletion_page_shows_the_form(client, doomed):
    # given
    _log_in_and_reauthenticate(client, doomed)

    # when
    response = client.get(reverse("accounts:delete"))

    # then
    assert response.status_code == 200
    assert "form" in response.context


def test_deleting_twice_is_harmless():
    # given
    user = UserFactory()
    services.user_delete(user=user)

    # when
    services.user_delete(user=user)

    # then
    assert OutboxEvent.objects.filter(event_type="accounts.user_deleted").count() == 1


def test_deletion_asks_other_apps_to_anonymise(doomed):
    # given
    seen = []

    # when
    with hooks.registered(hooks.USER_ANONYMISE, lambda u: seen.append(u.pk)):
        services.user_delete(user=doomed)

    # then
    assert seen == [doomed.pk]


def _social_only_user():
    user = UserFactory(email="social@example.com", verified=True)
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="google", uid="g-9")
    return user


def test_social_only_account_must_confirm_an_emailed_code_to_delete(client):
    # given: no password and no two-factor; allauth asks for a code by email
    user = _social_only_user()
    client.force_login(user)

    # when
    response = client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then nothing is deleted until the code is confirmed
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_request_reauthentication_code"))
    user.refresh_from_db()
    assert user.is_active
    assert user.deleted_at is None


def test_social_only_account_deletes_after_confirming_the_emailed_code(client):
    # given a social-only member who asked to delete and was sent a code
    user = _social_only_user()
    client.force_login(user)
    client.post(reverse("accounts:delete"), {"confirm": "DELETE"})
    client.post(reverse("account_request_reauthentication_code"), {"recipient": user.email})
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.M).group(1)

    # when they confirm it and delete
    client.post(reverse("account_confirm_reauthentication_code"), {"code": code})
    response = client.post(reverse("accounts:delete"), {"confirm": "DELETE"})

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.deleted_at is not None
