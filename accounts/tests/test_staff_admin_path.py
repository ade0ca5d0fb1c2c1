"""A staff member's way into the admin: log in, set up TOTP when there is none
yet (without a second password prompt right after logging in), see the
recovery codes once with a way on, and reach the admin without another code."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.account import app_settings as account_settings
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_HEADER = b"Kampung administration"


def _code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def _log_in(client, user, next_url: str = "/admin/"):
    return client.post(
        f"{reverse('account_login')}?next={next_url}",
        {"login": user.email, "password": PASSWORD, "next": next_url},
    )


def _age_the_login(client, seconds: float) -> None:
    """Move the session's authentication records `seconds` into the past."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def _path(url: str) -> str:
    return urlparse(url).path


def _activate(client, next_url: str = "/admin/"):
    """Open the TOTP page as the admin sends staff there, and activate with its secret."""
    page = client.get(reverse("mfa_activate_totp"), {"next": next_url})
    assert page.status_code == 200, page.get("Location")
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret), "next": next_url})
    return page, response, secret


def test_staff_without_totp_goes_from_login_to_totp_setup_without_a_password_prompt(client):
    # given
    staff = StaffFactory()

    # when: log in on the way to the admin, and follow where it leads
    login = _log_in(client, staff)
    response = client.get(login.url, follow=True)

    # then: straight to TOTP setup, not to "Confirm access"
    paths = [_path(url) for url, _ in response.redirect_chain]
    assert login.url == "/admin/"
    assert paths[-1] == reverse("mfa_activate_totp")
    assert reverse("account_reauthenticate") not in paths
    assert response.status_code == 200
    assert parse_qs(urlparse(response.redirect_chain[-1][0]).query)["next"] == ["/admin/"]
    assert 'name="next" value="/admin/"' in response.content.decode()


def test_activating_totp_shows_the_codes_once_with_a_way_to_the_admin(client):
    # given
    staff = StaffFactory()
    _log_in(client, staff)

    # when
    _, response, _ = _activate(client)
    codes = client.get(response.url)

    # then: the recovery codes, carrying the admin as the way on
    assert response.status_code == 302
    assert _path(response.url) == reverse("mfa_view_recovery_codes")
    assert parse_qs(urlparse(response.url).query)["next"] == ["/admin/"]
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    html = codes.content.decode()
    assert codes.status_code == 200
    assert len(codes.context["unused_codes"]) == mfa_settings.RECOVERY_CODE_COUNT
    assert codes.context["unused_codes"][0] in html
    assert re.search(r'<a href="/admin/"[^>]*>\s*Continue to the admin\s*</a>', html)
    assert "Save these codes now" in html
    assert "Generate new codes" not in html


def test_after_activation_the_admin_opens_without_another_code(client):
    # given
    staff = StaffFactory()
    _log_in(client, staff)
    _activate(client)

    # when
    response = client.get("/admin/", follow=True)

    # then
    assert response.redirect_chain == []
    assert response.status_code == 200
    assert ADMIN_HEADER in response.content


def test_a_slow_setup_still_reaches_codes_and_admin(client):
    # given: the login is fresh when the page opens, but installing the app took long
    staff = StaffFactory()
    _log_in(client, staff)
    page = client.get(reverse("mfa_activate_totp"), {"next": "/admin/"})
    secret = page.context["form"].secret

    # when: the code comes just inside the timeout; the codes are read after it
    _age_the_login(client, account_settings.REAUTHENTICATION_TIMEOUT - 5)
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret), "next": "/admin/"})
    _age_the_login(client, 10)
    codes = client.get(response.url)
    admin = client.get("/admin/")

    # then: the code typed from the new app is the fresh confirmation
    assert codes.status_code == 200
    assert admin.status_code == 200


def test_staff_who_logged_in_long_ago_must_confirm_the_password_before_totp_setup(client):
    # given
    staff = StaffFactory()
    _log_in(client, staff)
    _age_the_login(client, account_settings.REAUTHENTICATION_TIMEOUT + 1)

    # when
    response = client.get("/admin/", follow=True)

    # then
    paths = [_path(url) for url, _ in response.redirect_chain]
    assert paths[-1] == reverse("account_reauthenticate")
    assert not Authenticator.objects.filter(user=staff).exists()


def test_a_session_without_a_login_record_must_confirm_the_password(client):
    # given: signed in some other way than this session's log-in form
    staff = StaffFactory()
    client.force_login(staff)

    # when
    response = client.get(reverse("mfa_activate_totp"))

    # then
    assert _path(response.url) == reverse("account_reauthenticate")


def test_a_member_still_confirms_the_password_before_setting_up_totp(client):
    # given
    member = UserFactory()
    _log_in(client, member, next_url="/profile/")

    # when
    response = client.get(reverse("mfa_activate_totp"))

    # then
    assert response.status_code == 302
    assert _path(response.url) == reverse("account_reauthenticate")


def test_staff_changing_an_existing_authenticator_confirms_access_again(client):
    # given: staff with TOTP who just logged in with password and code
    staff = StaffFactory()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    _log_in(client, staff)
    client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    _age_the_login(client, account_settings.REAUTHENTICATION_TIMEOUT + 1)

    # when
    response = client.get(reverse("mfa_deactivate_totp"))

    # then
    assert _path(response.url) in {reverse("account_reauthenticate"), reverse("mfa_reauthenticate")}


def test_staff_with_totp_is_asked_for_a_code_once_and_lands_on_the_page_asked_for(client):
    # given
    staff = StaffFactory()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    wanted = reverse("admin:shop_order_changelist")

    # when
    login = _log_in(client, staff, next_url=wanted)
    code = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    response = client.get(code.url, follow=True)

    # then
    assert login.url == reverse("mfa_authenticate")
    assert code.url == wanted
    assert response.redirect_chain == []
    assert response.status_code == 200
    assert ADMIN_HEADER in response.content


def test_a_next_to_another_site_is_dropped_after_activation(client):
    # given
    staff = StaffFactory()
    _log_in(client, staff)

    # when
    _, response, _ = _activate(client, next_url="https://evil.example/admin/")
    codes = client.get(response.url)

    # then: the codes, with no way on to the other site
    assert response.url == reverse("mfa_view_recovery_codes")
    assert codes.status_code == 200
    assert "evil.example" not in codes.content.decode()
    assert "Continue" not in codes.content.decode()


def test_a_member_activating_totp_from_settings_sees_the_codes_as_before(client):
    # given: a member who confirmed the password (allauth's prompt)
    member = UserFactory()
    _log_in(client, member, next_url="/profile/")
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret

    # when
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    codes = client.get(response.url)

    # then
    assert response.url == reverse("mfa_view_recovery_codes")
    html = codes.content.decode()
    assert "Generate new codes" in html
    assert "Continue to the admin" not in html
