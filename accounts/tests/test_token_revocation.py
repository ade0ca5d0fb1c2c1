"""A changed, reset or newly set password ends every API token of the
account: whoever knew the old password may have made one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-42"


def _api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(reverse("api:me")).status_code


def test_a_password_reset_revokes_the_accounts_api_tokens():
    # given
    user = UserFactory(email="member@example.com", verified=True)
    _, key = services.api_token_create(user=user, name="Script")
    other = UserFactory()
    _, other_key = services.api_token_create(user=other, name="Theirs")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    link = re.search(r"https?://[^/\s]+(\S*/accounts/password/reset/key/\S*)", mail.outbox[0].body)
    form = client.get(link.group(1), follow=True)

    # when
    response = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _api_status(key) == 401
    assert not ApiToken.objects.filter(user=user).exists()
    assert _api_status(other_key) == 200


def test_a_password_change_revokes_the_accounts_api_tokens():
    # given
    user = UserFactory(email="member@example.com", verified=True)
    _, key = services.api_token_create(user=user, name="Script")
    client = Client()
    client.force_login(user)

    # when
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    # then
    assert response.status_code == 302
    assert _api_status(key) == 401


def test_a_refused_password_change_keeps_the_tokens():
    # given
    user = UserFactory(email="member@example.com", verified=True)
    _, key = services.api_token_create(user=user, name="Script")
    client = Client()
    client.force_login(user)

    # when: the old password is wrong
    client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    # then
    assert _api_status(key) == 200


def test_a_password_staff_set_in_the_admin_revokes_the_accounts_api_tokens(monkeypatch):
    from accounts.admin_site import KampungAdminSite

    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    # given
    user = UserFactory(email="member@example.com", verified=True)
    _, key = services.api_token_create(user=user, name="Script")
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    # when
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _api_status(key) == 401
    assert not ApiToken.objects.filter(user=user).exists()
