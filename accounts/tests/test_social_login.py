from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPS = {
    "google": {
        "APPS": [{"client_id": "google-client", "secret": "google-secret", "key": ""}],
        "SCOPE": ["profile", "email"],
        "VERIFIED_EMAIL": True,
    },
    "github": {
        "APPS": [{"client_id": "github-client", "secret": "github-secret", "key": ""}],
        "SCOPE": ["user:email"],
    },
}

GOOGLE_PROFILE = {
    "id": "108204268033311374519",
    "email": "siti@example.com",
    "verified_email": True,
    "name": "Siti Rahma",
    "given_name": "Siti",
    "family_name": "Rahma",
    "picture": "https://lh3.googleusercontent.com/photo.jpg",
    "locale": "id",
}

GITHUB_PROFILE = {
    "id": 4242,
    "login": "budi-dev",
    "name": "Budi Santoso",
    "email": "budi@example.com",
    "avatar_url": "https://avatars.githubusercontent.com/u/4242",
    "html_url": "https://github.com/budi-dev",
}
GITHUB_EMAILS = [{"email": "budi@example.com", "primary": True, "verified": True}]


def _json_response(url: str, data, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = url
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(data).encode()
    return response


def _fake_provider(routes: dict[str, object]):
    """A stand-in for requests.Session.request answering by URL; it records
    every call and refuses any URL not listed (no network in tests)."""
    calls = []

    def request(session, method, url, *args, **kwargs):
        calls.append((method, url))
        for prefix, data in routes.items():
            if url.startswith(prefix):
                return _json_response(url, data)
        raise AssertionError(f"unexpected HTTP call: {method} {url}")

    return request, calls


def _drive_oauth2(client, monkeypatch, provider: str, routes: dict[str, object]):
    start = client.post(reverse(f"{provider}_login"))
    assert start.status_code == 302
    state = parse_qs(urlparse(start.url).query)["state"][0]
    fake, calls = _fake_provider(routes)
    monkeypatch.setattr(requests.Session, "request", fake)
    response = client.get(
        reverse(f"{provider}_callback"), {"code": "auth-code-from-provider", "state": state}
    )
    return response, calls


def test_google_login_creates_a_logged_in_user_with_name_from_the_profile(
    client, settings, monkeypatch
):
    # given
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    routes = {
        "https://oauth2.googleapis.com/token": {
            "access_token": "ya29.token",
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "email profile",
        },
        "https://www.googleapis.com/oauth2/v2/userinfo": GOOGLE_PROFILE,
    }

    # when
    response, calls = _drive_oauth2(client, monkeypatch, "google", routes)

    # then
    assert response.status_code == 302
    user = User.objects.get(email="siti@example.com")
    assert user.display_name == "Siti Rahma"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", GOOGLE_PROFILE["id"])
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    assert [method for method, _ in calls] == ["POST", "GET"]


def test_github_login_creates_a_logged_in_user_with_name_from_the_profile(
    client, settings, monkeypatch
):
    # given
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    routes = {
        "https://github.com/login/oauth/access_token": {
            "access_token": "gho_token",
            "token_type": "bearer",
            "scope": "user:email",
        },
        "https://api.github.com/user/emails": GITHUB_EMAILS,
        "https://api.github.com/user": GITHUB_PROFILE,
    }

    # when
    response, _ = _drive_oauth2(client, monkeypatch, "github", routes)

    # then
    assert response.status_code == 302
    user = User.objects.get(email="budi@example.com")
    assert user.display_name == "Budi Santoso"
    assert SocialAccount.objects.filter(user=user, provider="github", uid="4242").exists()
    assert int(client.session["_auth_user_id"]) == user.pk


def test_social_login_publishes_user_signed_up(client, settings, monkeypatch):
    # given
    from core.models import OutboxEvent

    settings.SOCIALACCOUNT_PROVIDERS = APPS
    routes = {
        "https://github.com/login/oauth/access_token": {"access_token": "gho_token"},
        "https://api.github.com/user/emails": GITHUB_EMAILS,
        "https://api.github.com/user": GITHUB_PROFILE,
    }

    # when
    _drive_oauth2(client, monkeypatch, "github", routes)

    # then
    user = User.objects.get(email="budi@example.com")
    event = OutboxEvent.objects.get(event_type="accounts.user_signed_up")
    assert event.payload == {"user_id": user.pk}


def test_a_long_profile_name_is_cut_to_fit_the_display_name(client, settings, monkeypatch):
    # given
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    routes = {
        "https://oauth2.googleapis.com/token": {"access_token": "ya29.token"},
        "https://www.googleapis.com/oauth2/v2/userinfo": GOOGLE_PROFILE
        | {"name": "N" * 200, "given_name": "N" * 200},
    }

    # when
    _drive_oauth2(client, monkeypatch, "google", routes)

    # then
    assert User.objects.get(email="siti@example.com").display_name == "N" * 60


def test_callback_with_a_forged_state_logs_nobody_in(client, settings, monkeypatch):
    # given
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    client.post(reverse("google_login"))
    fake, calls = _fake_provider({})
    monkeypatch.setattr(requests.Session, "request", fake)

    # when
    response = client.get(reverse("google_callback"), {"code": "x", "state": "forged"})

    # then
    assert response.status_code < 500
    assert calls == []
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_provider_error_on_token_exchange_is_a_clear_failure(client, settings, monkeypatch):
    # given
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    start = client.post(reverse("google_login"))
    state = parse_qs(urlparse(start.url).query)["state"][0]

    def failing(session, method, url, *args, **kwargs):
        return _json_response(url, {"error": "invalid_grant"}, status=400)

    monkeypatch.setattr(requests.Session, "request", failing)

    # when
    response = client.get(reverse("google_callback"), {"code": "x", "state": state})

    # then
    assert response.status_code < 500
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_social_login_does_not_take_over_an_existing_local_account(client, settings, monkeypatch):
    # given: a local account owns the address the provider reports
    owner = UserFactory(email="siti@example.com", verified=True)
    settings.SOCIALACCOUNT_PROVIDERS = APPS
    routes = {
        "https://oauth2.googleapis.com/token": {"access_token": "ya29.token"},
        "https://www.googleapis.com/oauth2/v2/userinfo": GOOGLE_PROFILE,
    }

    # when
    response, _ = _drive_oauth2(client, monkeypatch, "google", routes)

    # then
    assert response.status_code < 500
    assert client.session.get("_auth_user_id") != str(owner.pk)
    assert not SocialAccount.objects.filter(user=owner).exists()
    assert User.objects.filter(email__iexact="siti@example.com").count() == 1
