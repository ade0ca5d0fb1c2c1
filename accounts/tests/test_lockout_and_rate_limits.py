from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _fail_logins(client, email: str, times: int) -> list[int]:
    return [
        client.post(reverse("account_login"), {"login": email, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def test_wrong_passwords_below_the_limit_leave_the_login_open(client):
    # given
    user = UserFactory(email="member@example.com")
    _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT - 1)

    # when
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_the_failure_that_reaches_the_limit_gets_the_lockout_page(client):
    # given
    UserFactory(email="member@example.com")

    # when
    statuses = _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT)

    # then
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AccessAttempt.objects.get().username == "member@example.com"


def test_right_password_right_after_the_limit_is_refused(client):
    # given
    UserFactory(email="member@example.com")
    _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT)

    # when
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )

    # then: allauth's own short-term limit answers first
    assert response.status_code in {200, 429}
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_lockout_outlasts_allauths_rate_limit_window(client):
    # given: allauth's five-minute window has passed (its counters live in
    # the cache); the axes lockout lasts AXES_COOLOFF_TIME
    UserFactory(email="member@example.com")
    _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT)
    cache.clear()

    # when
    response = client.post(
        reverse("account_login"), {"login": "Member@Example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert b"locked" in response.content.lower()
    assert reverse("account_reset_password").encode() in response.content
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME * 3600


def test_lockout_is_per_email_so_other_accounts_still_log_in(client):
    # given
    UserFactory(email="member@example.com")
    other = UserFactory(email="other@example.com")
    _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT)

    # when
    response = client.post(
        reverse("account_login"), {"login": "other@example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == other.pk


def test_allauth_rate_limit_answers_429_past_its_limit(client, settings):
    # given
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/m/ip"}
    UserFactory(email="member@example.com")
    url = reverse("account_reset_password")
    first = [client.post(url, {"email": "member@example.com"}).status_code for _ in range(2)]
    sent_before = len(mail.outbox)

    # when
    response = client.post(url, {"email": "member@example.com"})

    # then
    assert first == [302, 302]
    assert response.status_code == 429
    assert len(mail.outbox) == sent_before


def test_signup_rate_limit_answers_429_and_creates_no_user(client, settings):
    # given
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    client.post(
        reverse("account_signup"),
        {"email": "first@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    client.logout()

    # when
    response = client.post(
        reverse("account_signup"),
        {"email": "second@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    # then
    assert response.status_code == 429
    assert not User.objects.filter(email="second@example.com").exists()


def test_lockout_page_is_plain_but_clear_when_the_site_has_no_template(client, settings):
    # given
    settings.AXES_LOCKOUT_TEMPLATE = "account/no-such-template.html"
    UserFactory(email="member@example.com")

    # when
    statuses = _fail_logins(client, "member@example.com", settings.AXES_FAILURE_LIMIT)
    response = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": "wrong"}
    )
    cache.clear()
    locked = client.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )

    # then
    assert statuses[-1] == 429
    assert response.status_code in {200, 429}
    assert locked.status_code == 429
    assert b"Account locked" in locked.content
    assert reverse("account_reset_password").encode() in locked.content


ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out_from_their_address(client):
    # given: twenty wrong passwords for the owner's account from another address
    owner = UserFactory(email="member@example.com")
    attacker = client.__class__(REMOTE_ADDR=ATTACKER_IP)
    statuses = [
        attacker.post(
            reverse("account_login"), {"login": "member@example.com", "password": "wrong"}
        ).status_code
        for _ in range(20)
    ]

    # when: the owner signs in from their own address
    response = client.post(
        reverse("account_login"),
        {"login": "member@example.com", "password": PASSWORD},
        REMOTE_ADDR=OWNER_IP,
    )

    # then
    assert 429 in statuses
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_the_guessing_address_stays_slowed_down_on_that_account(client):
    # given
    UserFactory(email="member@example.com")
    attacker = client.__class__(REMOTE_ADDR=ATTACKER_IP)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(
            reverse("account_login"), {"login": "member@example.com", "password": "wrong"}
        )

    # when: even the right password from that address
    response = attacker.post(
        reverse("account_login"), {"login": "member@example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code in {200, 429}
    assert "_auth_user_id" not in attacker.session
