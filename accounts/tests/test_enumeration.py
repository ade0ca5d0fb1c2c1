"""Sign-up, password reset and log-in by code answer a stranger the same way
whether or not an address has an account; only the address's owner learns
it, by mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(email: str):
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    return client, response


def _page(client, response) -> str:
    """The page the visitor lands on, with the address itself blanked out."""
    html = client.get(response.url).content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r"[\w.+-]+@example\.com", "EMAIL", html)


def test_signup_with_a_taken_email_answers_exactly_like_a_new_one():
    # given
    UserFactory(email="taken@example.com", verified=True)

    # when
    new_client, new = _signup("fresh@example.com")
    taken_client, taken = _signup("Taken@Example.com")

    # then: the same redirect, the same page, nobody signed in
    assert new.status_code == taken.status_code == 302
    assert new.url == taken.url == reverse("account_email_verification_sent")
    assert _page(new_client, new) == _page(taken_client, taken)
    assert "_auth_user_id" not in new_client.session
    assert "_auth_user_id" not in taken_client.session
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_the_owner_of_a_taken_email_is_told_by_mail_and_no_account_is_made():
    # given
    owner = UserFactory(email="taken@example.com", verified=True)

    # when
    _signup("taken@example.com")

    # then
    assert [m.to for m in mail.outbox] == [["taken@example.com"]]
    body = mail.outbox[0].body.lower()
    assert "already" in body
    assert "/accounts/confirm-email/" not in body
    assert list(User.objects.values_list("pk", flat=True)) == [owner.pk]


def test_a_new_member_is_signed_in_by_the_confirmation_link():
    # given
    client, _ = _signup("fresh@example.com")
    link = re.search(r"https?://[^/\s]+(\S*/accounts/confirm-email/\S*)", mail.outbox[0].body)

    # when
    response = client.post(link.group(1))

    # then
    user = User.objects.get(email="fresh@example.com")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_password_reset_answers_alike_for_known_and_unknown_addresses():
    # given
    UserFactory(email="member@example.com", verified=True)
    known_client, unknown_client = Client(), Client()

    # when
    known = known_client.post(reverse("account_reset_password"), {"email": "member@example.com"})
    unknown = unknown_client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}
    )

    # then
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert _page(known_client, known) == _page(unknown_client, unknown)
    reset_mails = [m for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert [m.to for m in reset_mails] == [["member@example.com"]]


def test_login_by_code_answers_alike_for_known_and_unknown_addresses():
    # given
    UserFactory(email="member@example.com", verified=True)

    # when
    known = Client().post(reverse("account_request_login_code"), {"email": "member@example.com"})
    unknown = Client().post(reverse("account_request_login_code"), {"email": "nobody@example.com"})

    # then
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
