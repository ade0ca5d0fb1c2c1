"""Every account form and endpoint answers bad input with a 4xx (or the form
again with its errors), never a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NUL = "bad\x00value"
LONG = "x" * 5000
JUNK_VALUES = ["", "   ", NUL, LONG, "<script>alert(1)</script>", "😀" * 100, "%00", "' OR 1=1 --"]

PUBLIC_FORMS = [
    ("account_login", ["login", "password"]),
    ("account_signup", ["email", "password1", "password2"]),
    ("account_reset_password", ["email"]),
    ("account_request_login_code", ["email"]),
]

USER_FORMS = [
    ("accounts:profile", ["display_name", "bio", "avatar", "remove_avatar"]),
    ("accounts:token_create", ["name"]),
    ("account_email", ["email", "action_add"]),
    ("account_change_password", ["oldpassword", "password1", "password2"]),
    ("account_reauthenticate", ["password"]),
]


def assert_not_server_error(response) -> None:
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize("value", JUNK_VALUES)
@pytest.mark.parametrize(("url_name", "fields"), PUBLIC_FORMS)
def test_public_forms_refuse_junk_without_a_server_error(client, url_name, fields, value):
    # given
    UserFactory(email="member@example.com")

    # when
    response = client.post(reverse(url_name), dict.fromkeys(fields, value))

    # then
    assert_not_server_error(response)
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 1


@pytest.mark.parametrize("value", JUNK_VALUES)
@pytest.mark.parametrize(("url_name", "fields"), USER_FORMS)
def test_logged_in_forms_refuse_junk_without_a_server_error(url_name, fields, value):
    # given
    user = UserFactory(verified=True)
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    # when
    response = client.post(reverse(url_name), dict.fromkeys(fields, value))

    # then
    assert_not_server_error(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.avatar


def test_profile_form_with_overlong_fields_is_a_400_and_changes_nothing(user_client, user):
    # when
    response = user_client.post(reverse("accounts:profile"), {"display_name": LONG, "bio": LONG})

    # then
    assert response.status_code == 400
    user.refresh_from_db()
    assert len(user.display_name) <= 60
    assert user.bio == ""


def test_profile_form_with_a_nul_character_is_a_400(user_client, user):
    # when
    response = user_client.post(reverse("accounts:profile"), {"display_name": NUL, "bio": ""})

    # then
    assert response.status_code == 400
    user.refresh_from_db()
    assert "\x00" not in user.display_name


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/confirm-email/not-a-key/",
        "/accounts/confirm-email/%00/",
        "/accounts/password/reset/key/zz-nonsense/",
        "/accounts/password/reset/key/1-set-password/",
        "/accounts/login/?next=https://evil.example/",
        "/accounts/login/?next=%00",
        "/accounts/login/code/confirm/",
        "/accounts/2fa/authenticate/",
        "/profile/tokens/999999/revoke/",
        "/profile/delete/",
        "/profile/export/",
        "/admin/login/?next=//evil.example",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_odd_urls_are_never_a_server_error(client, path, method):
    # when
    response = getattr(client, method)(path, {"code": NUL, "key": LONG})

    # then
    assert_not_server_error(response)
    assert "_auth_user_id" not in client.session


def test_login_next_parameter_never_redirects_to_another_site(client):
    # given
    user = UserFactory()

    # when
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"login": user.email, "password": PASSWORD},
    )

    # then
    assert response.status_code == 302
    assert not response.url.startswith("https://evil.example")


API_JUNK = [
    {"display_name": ["a", "b"]},
    {"display_name": {"nested": True}},
    {"display_name": None},
    {"display_name": NUL},
    {"bio": LONG},
    {"remove_avatar": "maybe"},
    {"avatar": 123},
    {"avatar": {"file": "x"}},
]


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("data", API_JUNK)
def test_patch_me_junk_is_a_400_with_the_error_shape(api, user, data):
    # given
    before = (user.display_name, user.bio)

    # when
    response = api.patch(reverse("api:me"), data, format="json")

    # then
    assert response.status_code == 400
    assert {"detail", "code", "errors"} <= set(response.json())
    user.refresh_from_db()
    assert (user.display_name, user.bio) == before


@pytest.mark.parametrize(
    "body", ["[]", '"just a string"', "null", "12", '{"display_name": "\\ud800"}']
)
def test_patch_me_with_odd_json_bodies_is_never_a_server_error(api, body):
    # when
    response = api.generic("PATCH", reverse("api:me"), body, content_type="application/json")

    # then
    assert 200 <= response.status_code < 500


@pytest.mark.parametrize(
    "data", [{"name": ["x"]}, {"name": None}, {"name": NUL}, {"name": LONG}, []]
)
def test_token_create_junk_is_a_400(api, data):
    # when
    response = api.post(reverse("api:me-tokens"), data, format="json")

    # then
    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())
    assert not ApiToken.objects.exists()


def test_unsupported_content_type_is_a_415(api):
    # when
    response = api.generic("PATCH", reverse("api:me"), "a,b", content_type="text/csv")

    # then
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("token_id", ["0", "-1", "abc", "9" * 40])
def test_token_detail_with_odd_ids_is_a_404(api, user, token_id):
    # given
    services.api_token_create(user=user, name="keep")

    # when
    response = api.delete(f"/api/v1/me/tokens/{token_id}/")

    # then
    assert response.status_code == 404
    assert ApiToken.objects.count() == 1
