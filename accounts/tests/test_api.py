from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from core.api.throttling import WriteRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- /api/v1/me/ --------------------------------------------------------------------


def test_me_refuses_anonymous_clients_with_the_error_shape(api):
    # when
    response = api.get(reverse("api:me"))

    # then
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"] == "Token"


def test_me_answers_a_session_client(api, user):
    # given
    api.force_login(user)

    # when
    response = api.get(reverse("api:me"))

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email
    assert body["display_name"] == user.display_name
    assert body["email_verified"] is True
    assert body["avatar"] is None


def test_me_answers_a_token_client_and_records_the_use(user):
    # given
    token, key = services.api_token_create(user=user, name="Script")

    # when
    response = token_client(key).get(reverse("api:me"))

    # then
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Token kp_not-a-real-key", "Token", "Token two words", "Bearer abc", "Token \x00"],
)
def test_me_refuses_bad_authorization_headers(header):
    # given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    # when
    response = client.get(reverse("api:me"))

    # then
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}


def test_token_of_an_inactive_user_is_refused(user):
    # given
    _, key = services.api_token_create(user=user, name="Script")
    user.is_active = False
    user.save()

    # when
    response = token_client(key).get(reverse("api:me"))

    # then
    assert response.status_code == 401


def test_patch_me_updates_display_name_and_bio(api, user):
    # given
    api.force_login(user)

    # when
    response = api.patch(reverse("api:me"), {"display_name": "Pak Budi", "bio": "Tukang roti"})

    # then
    assert response.status_code == 200
    assert response.json()["display_name"] == "Pak Budi"
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Pak Budi", "Tukang roti")


def test_patch_me_with_a_too_long_display_name_is_refused_and_nothing_saved(api, user):
    # given
    api.force_login(user)
    before = user.display_name

    # when
    response = api.patch(reverse("api:me"), {"display_name": "x" * 61, "bio": "changed"})

    # then
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "max_length"
    assert list(body["errors"]) == ["display_name"]
    assert body["errors"]["display_name"]
    user.refresh_from_db()
    assert user.display_name == before
    assert user.bio == ""


def test_me_shows_the_members_language(api, user):
    # given
    user.language = "id"
    user.save(update_fields=["language"])
    api.force_login(user)

    # when
    response = api.get(reverse("api:me"))

    # then
    assert response.status_code == 200
    assert response.json()["language"] == "id"


@pytest.mark.parametrize("language", ["id", "en", ""])
def test_patch_me_changes_the_language(api, user, language):
    # given
    user.language = "en" if language != "en" else "id"
    user.save(update_fields=["language"])
    api.force_login(user)

    # when ("" means the site's default language)
    response = api.patch(reverse("api:me"), {"language": language})

    # then
    assert response.status_code == 200
    assert response.json()["language"] == language
    user.refresh_from_db()
    assert user.language == language


@pytest.mark.parametrize("language", ["xx", "EN", "id-ID", None, 7])
def test_patch_me_with_an_unknown_language_is_refused_and_nothing_saved(api, user, language):
    # given
    user.language = "en"
    user.save(update_fields=["language"])
    api.force_login(user)

    # when
    response = api.patch(reverse("api:me"), {"language": language, "bio": "changed"})

    # then
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["language"]
    user.refresh_from_db()
    assert user.language == "en"
    assert user.bio == ""


def test_patch_me_ignores_fields_it_does_not_own(api, user):
    # given
    api.force_login(user)
    email = user.email

    # when
    response = api.patch(
        reverse("api:me"), {"email": "evil@example.com", "is_staff": True, "id": 999}
    )

    # then
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == email
    assert not user.is_staff


def test_patch_me_with_malformed_json_is_a_400(api, user):
    # given
    api.force_login(user)

    # when
    response = api.generic("PATCH", reverse("api:me"), "{not json", content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_me_answers_other_methods_with_405(api, user, method):
    # given
    api.force_login(user)

    # when
    response = getattr(api, method)(reverse("api:me"), {})

    # then
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- tokens ------------------------------------------------------------------------


def test_creating_a_token_returns_its_key_once(api, user):
    # given
    api.force_login(user)

    # when
    response = api.post(reverse("api:me-tokens"), {"name": "Stock sync"})

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Stock sync"
    assert body["key"].startswith("kp_")
    assert body["key"].startswith(body["prefix"])
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == ApiToken.hash_key(body["key"])
    assert body["key"] not in str(token.__dict__)
    assert token_client(body["key"]).get(reverse("api:me")).status_code == 200


def test_token_list_never_shows_keys_and_only_the_owners_tokens(api, user):
    # given
    services.api_token_create(user=user, name="One")
    services.api_token_create(user=user, name="Two")
    services.api_token_create(user=UserFactory(), name="Not mine")
    api.force_login(user)

    # when
    response = api.get(reverse("api:me-tokens"))

    # then
    assert response.status_code == 200
    body = response.json()
    items = body["results"] if isinstance(body, dict) else body
    assert sorted(t["name"] for t in items) == ["One", "Two"]
    for item in items:
        assert "key" not in item
        assert "key_hash" not in item


@pytest.mark.parametrize("data", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 61}])
def test_creating_a_token_without_a_proper_name_is_refused(api, user, data):
    # given
    api.force_login(user)

    # when
    response = api.post(reverse("api:me-tokens"), data)

    # then
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code"}
    assert not ApiToken.objects.exists()


def test_token_limit_is_enforced(api, user):
    # given
    for n in range(services.MAX_API_TOKENS):
        services.api_token_create(user=user, name=f"t{n}")
    api.force_login(user)

    # when
    response = api.post(reverse("api:me-tokens"), {"name": "one too many"})

    # then: the request is valid, a rule refuses it
    assert response.status_code == 422
    assert response.json()["code"] == "token_limit"
    assert ApiToken.objects.filter(user=user).count() == services.MAX_API_TOKENS


def test_revoking_a_token_makes_its_key_stop_working(api, user):
    # given
    token, key = services.api_token_create(user=user, name="Old")
    api.force_login(user)

    # when
    response = api.delete(reverse("api:me-token-detail", args=[token.pk]))

    # then
    assert response.status_code == 204
    after = token_client(key).get(reverse("api:me"))
    assert after.status_code == 401
    assert after.json()["code"] == "authentication_failed"


def test_revoking_someone_elses_token_is_a_404_and_it_keeps_working(api, user):
    # given
    other = UserFactory()
    token, key = services.api_token_create(user=other, name="Theirs")
    api.force_login(user)

    # when
    response = api.delete(reverse("api:me-token-detail", args=[token.pk]))

    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert token_client(key).get(reverse("api:me")).status_code == 200


def test_revoking_a_huge_token_id_is_a_404(api, user):
    # given
    api.force_login(user)

    # when
    response = api.delete(f"/api/v1/me/tokens/{'9' * 30}/")

    # then
    assert response.status_code == 404


def test_token_can_revoke_itself(user):
    # given
    token, key = services.api_token_create(user=user, name="Self")
    client = token_client(key)

    # when
    response = client.delete(reverse("api:me-token-detail", args=[token.pk]))

    # then
    assert response.status_code == 204
    assert client.get(reverse("api:me")).status_code == 401


# --- throttling ---------------------------------------------------------------------


def test_writes_past_the_rate_are_throttled_with_429(api, user, monkeypatch):
    # given
    monkeypatch.setattr(WriteRateThrottle, "rate", "2/min", raising=False)
    api.force_login(user)
    first = [api.patch(reverse("api:me"), {"bio": f"bio {n}"}).status_code for n in range(2)]

    # when
    response = api.patch(reverse("api:me"), {"bio": "third"})

    # then
    assert first == [200, 200]
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response
    user.refresh_from_db()
    assert user.bio == "bio 1"


def test_reads_are_not_throttled(api, user, monkeypatch):
    # given
    monkeypatch.setattr(WriteRateThrottle, "rate", "1/min", raising=False)
    api.force_login(user)

    # when
    statuses = {api.get(reverse("api:me")).status_code for _ in range(5)}

    # then
    assert statuses == {200}


def test_throttling_is_per_user(api, user, monkeypatch):
    # given
    monkeypatch.setattr(WriteRateThrottle, "rate", "1/min", raising=False)
    api.force_login(user)
    api.patch(reverse("api:me"), {"bio": "one"})
    other = APIClient()
    other.force_login(UserFactory())

    # when
    response = other.patch(reverse("api:me"), {"bio": "mine"})

    # then
    assert response.status_code == 200


# --- the token pages (server-rendered) -------------------------------------------


def test_token_page_creates_a_token_and_shows_the_key_once(user_client, user):
    # when
    response = user_client.post(reverse("accounts:token_create"), {"name": "Phone"})

    # then
    assert response.status_code == 200
    key = response.context["key"]
    assert key.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == ApiToken.hash_key(key)
    profile = user_client.get(reverse("accounts:profile"))
    assert key.encode() not in profile.content
    assert b"Phone" in profile.content


@pytest.mark.parametrize("name", ["", "x" * 61])
def test_token_page_refuses_a_bad_name(user_client, name):
    # when
    response = user_client.post(reverse("accounts:token_create"), {"name": name})

    # then
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_token_page_needs_post_and_login(user_client):
    # when
    anonymous = Client().post(reverse("accounts:token_create"), {"name": "x"})
    get = user_client.get(reverse("accounts:token_create"))

    # then
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("account_login"))
    assert get.status_code == 405
    assert not ApiToken.objects.exists()


def test_owner_revokes_a_token_from_the_page(user_client, user):
    # given
    token, key = services.api_token_create(user=user, name="Old")

    # when
    response = user_client.post(reverse("accounts:token_revoke", args=[token.pk]))

    # then
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert token_client(key).get(reverse("api:me")).status_code == 401


def test_revoking_someone_elses_token_from_the_page_does_nothing(user_client):
    # given
    token, key = services.api_token_create(user=UserFactory(), name="Theirs")

    # when
    response = user_client.post(reverse("accounts:token_revoke", args=[token.pk]))

    # then
    assert response.status_code in {302, 404}
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert token_client(key).get(reverse("api:me")).status_code == 200


def test_revoking_a_huge_token_id_from_the_page_is_not_a_server_error(user_client):
    # when
    response = user_client.post(f"/profile/tokens/{'9' * 30}/revoke/")

    # then
    assert response.status_code in {302, 404}
