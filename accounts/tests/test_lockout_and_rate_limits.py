from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
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


def _attempt(ip: str, email: str, password: str, client=None):
    client = client or Client(REMOTE_ADDR=ip)
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )
    return client, response


def test_guessing_one_account_from_many_addresses_is_slowed_account_wide(settings):
    # given: one wrong password from each of 20 addresses (every per-address
    # limit untouched)
    settings.ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED = "20/h/key"
    UserFactory(email="member@example.com")
    for i in range(20):
        _attempt(f"203.0.113.{i}", "member@example.com", "wrong")

    # when: a 21st address tries, even with the right password
    client, response = _attempt("203.0.113.99", "member@example.com", PASSWORD)

    # then
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_the_owners_known_browser_signs_in_while_the_account_is_being_guessed(settings):
    # given: the owner signed in from this browser before
    settings.ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED = "20/h/key"
    owner = UserFactory(email="member@example.com")
    browser, first = _attempt(OWNER_IP, "member@example.com", PASSWORD)
    assert first.status_code == 302
    browser.post(reverse("account_logout"))  # (Client.logout() would drop the cookies)
    for i in range(25):
        _attempt(f"203.0.113.{i}", "member@example.com", "wrong")

    # when
    _, response = _attempt(OWNER_IP, "member@example.com", PASSWORD, client=browser)

    # then
    assert response.status_code == 302
    assert int(browser.session["_auth_user_id"]) == owner.pk


def test_another_accounts_known_browser_cookie_does_not_count(settings):
    # given: this browser is known for another account only
    settings.ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED = "20/h/key"
    UserFactory(email="member@example.com")
    UserFactory(email="attacker@example.com")
    browser, _ = _attempt(ATTACKER_IP, "attacker@example.com", PASSWORD)
    browser.post(reverse("account_logout"))
    for i in range(20):
        _attempt(f"203.0.113.{i}", "member@example.com", "wrong")

    # when
    _, response = _attempt("198.51.100.77", "member@example.com", PASSWORD, client=browser)

    # then
    assert b"Too many failed login attempts" in response.content


def test_a_password_reset_lifts_the_account_wide_limit(settings):
    # given: the account is being guessed from many addresses
    settings.ACCOUNT_UNKNOWN_DEVICE_LOGIN_FAILED = "20/h/key"
    UserFactory(email="member@example.com", verified=True)
    for i in range(20):
        _attempt(f"203.0.113.{i}", "member@example.com", "wrong")
    owner = Client(REMOTE_ADDR=OWNER_IP)
    owner.post(reverse("account_reset_password"), {"email": "member@example.com"})
    link = re.search(r"https?://[^/\s]+(\S*/accounts/password/reset/key/\S*)", mail.outbox[-1].body)
    form = owner.get(link.group(1), follow=True)
    new_password = "a-brand-new-password-42"
    owner.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})

    # when: the owner signs in on that new device
    _, response = _attempt(OWNER_IP, "member@example.com", new_password, client=owner)

    # then
    assert response.status_code == 302
    assert "_auth_user_id" in owner.session
