from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _link_in(message, path_fragment: str) -> str:
    match = re.search(rf"https?://[^/\s]+(\S*{re.escape(path_fragment)}\S*)", message.body)
    assert match, message.body
    return match.group(1)


def _code_in(message) -> str:
    match = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def _outbox_types() -> list[str]:
    return list(OutboxEvent.objects.values_list("event_type", flat=True))


def test_signup_by_email_creates_user_and_sends_verification_mail(client):
    # given
    data = {"email": "New.Member@Example.com", "password1": PASSWORD, "password2": PASSWORD}

    # when
    response = client.post(reverse("account_signup"), data)

    # then
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.member@example.com"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.member@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert "Kampung" in mail.outbox[0].body
    assert "example.com" not in mail.outbox[0].body.replace("@example.com", "")
    assert any(t == "accounts.user_signed_up" for t in _outbox_types())


def test_following_the_verification_link_verifies_the_address(client):
    # given
    client.post(
        reverse("account_signup"),
        {"email": "member@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    link = _link_in(mail.outbox[0], "/accounts/confirm-email/")

    # when
    get_response = client.get(link)
    post_response = client.post(link)

    # then
    assert get_response.status_code == 200
    assert post_response.status_code == 302
    address = EmailAddress.objects.get(email="member@example.com")
    assert address.verified
    verified_events = OutboxEvent.objects.filter(event_type="accounts.email_verified")
    assert verified_events.count() == 1
    assert verified_events.get().payload == {
        "user_id": address.user_id,
        "email": "member@example.com",
    }


def test_get_on_the_verification_link_does_not_verify(client):
    # given
    client.post(
        reverse("account_signup"),
        {"email": "member@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    link = _link_in(mail.outbox[0], "/accounts/confirm-email/")

    # when
    client.get(link)

    # then
    assert not EmailAddress.objects.get(email="member@example.com").verified
    assert not OutboxEvent.objects.filter(event_type="accounts.email_verified").exists()


def test_signup_with_an_email_already_taken_creates_no_second_user(client):
    # given
    UserFactory(email="taken@example.com", verified=True)

    # when
    response = client.post(
        reverse("account_signup"),
        {"email": "Taken@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    # then
    assert response.status_code < 500
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert not any(t == "accounts.user_signed_up" for t in _outbox_types())


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD},
        {"email": "a@example.com", "password1": PASSWORD, "password2": "different-one-123"},
        {"email": "a@example.com", "password1": "123", "password2": "123"},
        {"email": "a" * 300 + "@example.com", "password1": PASSWORD, "password2": PASSWORD},
    ],
)
def test_signup_with_bad_input_is_refused_without_creating_a_user(client, data):
    # when
    response = client.post(reverse("account_signup"), data)

    # then
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert not User.objects.exists()
    assert mail.outbox == []


def test_login_with_email_and_password(client):
    # given
    user = UserFactory(email="member@example.com")

    # when
    response = client.post(
        reverse("account_login"), {"login": "MEMBER@example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_login_with_a_wrong_password_is_refused(client):
    # given
    UserFactory(email="member@example.com")

    # when
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": "wrong"}
    )

    # then
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_by_emailed_code(client):
    # given
    user = UserFactory(email="member@example.com", verified=True)

    # when
    request_response = client.post(
        reverse("account_request_login_code"), {"email": "member@example.com"}
    )
    code = _code_in(mail.outbox[0])
    confirm_response = client.post(reverse("account_confirm_login_code"), {"code": code})

    # then
    assert request_response.status_code == 302
    assert request_response.url == reverse("account_confirm_login_code")
    assert confirm_response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_login_by_code_with_a_wrong_code_does_not_log_in(client):
    # given
    UserFactory(email="member@example.com", verified=True)
    client.post(reverse("account_request_login_code"), {"email": "member@example.com"})

    # when
    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})

    # then
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_password_reset_by_mail_sets_a_new_password(client):
    # given
    user = UserFactory(email="member@example.com")
    new_password = "a-brand-new-password-42"

    # when
    client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    link = _link_in(mail.outbox[0], "/accounts/password/reset/key/")
    form_response = client.get(link, follow=True)
    set_response = client.post(
        form_response.redirect_chain[-1][0] if form_response.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )

    # then
    assert set_response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_for_an_unknown_email_changes_nothing(client):
    # given
    user = UserFactory(email="member@example.com")

    # when
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_following_the_verification_link_twice_publishes_one_event(client):
    # given
    client.post(
        reverse("account_signup"),
        {"email": "member@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    link = _link_in(mail.outbox[0], "/accounts/confirm-email/")
    client.post(link)

    # when
    response = client.post(link)

    # then
    assert response.status_code < 500
    assert OutboxEvent.objects.filter(event_type="accounts.email_verified").count() == 1


def test_login_code_stops_working_after_too_many_wrong_guesses(client):
    # given
    UserFactory(email="member@example.com", verified=True)
    client.post(reverse("account_request_login_code"), {"email": "member@example.com"})
    code = _code_in(mail.outbox[0])
    for _ in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": "AAAA-AAAA"})

    # when
    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    # then
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_requesting_login_codes_is_rate_limited_per_address(client):
    # given
    UserFactory(email="member@example.com", verified=True)
    for _ in range(3):
        Client().post(reverse("account_request_login_code"), {"email": "member@example.com"})
    sent = len(mail.outbox)

    # when
    response = client.post(reverse("account_request_login_code"), {"email": "member@example.com"})

    # then
    assert response.status_code in {200, 429}
    assert len(mail.outbox) == sent
