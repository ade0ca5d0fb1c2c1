from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _totp_code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def _log_in_with_password_and_totp(client, user, secret: str) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_anonymous_admin_visit_ends_at_allauth_login(client):
    # when
    response = client.get("/admin/", follow=True)

    # then
    final_url = urlparse(response.redirect_chain[-1][0])
    assert final_url.path == reverse("account_login")
    assert parse_qs(final_url.query)["next"] == ["/admin/"]
    assert response.status_code == 200


def test_admin_login_form_is_never_shown_to_anonymous_users(client):
    # when
    response = client.post(
        reverse("admin:login"), {"username": "x@example.com", "password": PASSWORD}
    )

    # then
    assert response.status_code == 302
    assert urlparse(response.url).path == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_staff_without_totp_is_sent_to_set_up_totp(client):
    # given
    staff = StaffFactory()
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    # when
    response = client.get("/admin/", follow=True)

    # then
    paths = [urlparse(url).path for url, _ in response.redirect_chain]
    assert reverse("mfa_activate_totp") in paths
    assert b"Kampung administration" not in response.content


def test_staff_with_totp_after_password_and_code_reaches_the_admin_index(client):
    # given
    staff = StaffFactory()
    secret = _with_totp(staff)
    _log_in_with_password_and_totp(client, staff, secret)

    # when
    response = client.get("/admin/")

    # then
    assert response.status_code == 200
    assert b"Kampung administration" in response.content


def test_staff_with_totp_but_no_code_this_session_gets_the_mfa_step(client):
    # given: logged in without using the second factor in this session
    staff = StaffFactory()
    _with_totp(staff)
    client.force_login(staff)

    # when
    response = client.get("/admin/", follow=True)

    # then
    paths = [urlparse(url).path for url, _ in response.redirect_chain]
    assert paths[-1] == reverse("mfa_reauthenticate")
    assert b"Kampung administration" not in response.content


def test_staff_reauthenticating_with_totp_then_reaches_the_admin(client):
    # given
    staff = StaffFactory()
    secret = _with_totp(staff)
    client.force_login(staff)

    # when
    response = client.post(
        f"{reverse('mfa_reauthenticate')}?next=/admin/", {"code": _totp_code(secret)}
    )
    admin_response = client.get("/admin/")

    # then
    assert response.status_code == 302
    assert admin_response.status_code == 200


def test_password_login_of_staff_with_totp_stops_at_the_mfa_step(client):
    # given
    staff = StaffFactory()
    _with_totp(staff)

    # when
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    admin_response = client.get("/admin/")

    # then
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert admin_response.status_code == 302


def test_wrong_totp_code_does_not_log_staff_in(client):
    # given
    staff = StaffFactory()
    _with_totp(staff)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    # when
    response = client.post(reverse("mfa_authenticate"), {"code": "000000x"})

    # then
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_non_staff_user_never_gets_the_admin(client):
    # given
    user = UserFactory()
    secret = _with_totp(user)
    _log_in_with_password_and_totp(client, user, secret)

    # when
    response = client.get("/admin/", follow=True)

    # then
    assert response.status_code == 403
    assert b"Kampung administration" not in response.content


def test_inactive_staff_never_gets_the_admin(client):
    # given
    staff = StaffFactory()
    secret = _with_totp(staff)
    _log_in_with_password_and_totp(client, staff, secret)
    staff.is_active = False
    staff.save()

    # when
    response = client.get("/admin/", follow=True)

    # then
    assert b"Kampung administration" not in response.content


def test_admin_login_does_not_redirect_to_another_site(client):
    # given
    staff = StaffFactory()
    secret = _with_totp(staff)
    _log_in_with_password_and_totp(client, staff, secret)

    # when
    response = client.get(reverse("admin:login"), {"next": "https://evil.example/phish"})

    # then
    assert response.status_code == 302
    assert not response.url.startswith("https://evil.example")


@pytest.fixture
def admin_client(client):
    staff = StaffFactory()
    secret = _with_totp(staff)
    _log_in_with_password_and_totp(client, staff, secret)
    return client


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:accounts_apitoken_changelist",
    ],
)
def test_account_admin_pages_load(admin_client, url_name):
    # given
    UserFactory()

    # when
    response = admin_client.get(reverse(url_name), {"q": "example"})

    # then
    assert response.status_code == 200


def test_user_admin_change_page_loads(admin_client):
    # given
    user = UserFactory()

    # when
    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    # then
    assert response.status_code == 200


def test_staff_can_add_a_user_in_the_admin(admin_client):
    # when
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Staff@Example.com",
            "password1": "a-long-enough-password-77",
            "password2": "a-long-enough-password-77",
            "usable_password": "true",
        },
    )

    # then
    assert response.status_code == 302
    from accounts.models import User

    assert User.objects.filter(email="new.staff@example.com").exists()


def test_admin_refuses_an_email_that_differs_only_in_case(admin_client):
    # given
    UserFactory(email="taken@example.com")

    # when
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "TAKEN@example.com",
            "password1": "a-long-enough-password-77",
            "password2": "a-long-enough-password-77",
            "usable_password": "true",
        },
    )

    # then
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    from accounts.models import User

    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_database_refuses_emails_that_differ_only_in_case():
    # given
    from django.db import IntegrityError, transaction

    from accounts.models import User

    UserFactory(email="taken@example.com")

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Taken@Example.com")])


def _code_at(secret: str, steps_back: int) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD - steps_back
    return format_hotp_value(hotp_value(secret, counter))


@pytest.mark.parametrize(("steps_back", "accepted"), [(1, True), (2, False)])
def test_a_code_from_the_step_that_just_ended_is_accepted_but_not_older(
    client, steps_back, accepted
):
    # given: a member with TOTP (a phone a few seconds slow, or a code typed
    # as its 30-second step turned)
    member = UserFactory()
    secret = _with_totp(member)
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    # when
    client.post(reverse("mfa_authenticate"), {"code": _code_at(secret, steps_back)})

    # then
    assert ("_auth_user_id" in client.session) is accepted


def test_a_used_code_is_refused_the_second_time(client):
    # given: a member who signed in with a code
    member = UserFactory()
    secret = _with_totp(member)
    code = _code_at(secret, 1)
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" in client.session
    client.logout()

    # when: the same code again, still inside the tolerance window
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})

    # then
    assert "_auth_user_id" not in client.session
