from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.urls import reverse
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.permissions import HasVerifiedEmail, verified_email_required
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@verified_email_required
def post_view(request):
    return HttpResponse("posted")


class RedeemApi(APIView):
    permission_classes = [HasVerifiedEmail]

    def post(self, request):
        return Response({"ok": True})


def _request(rf, user):
    request = rf.post("/community/post/?topic=1&page=2")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_verified_email_required_lets_a_verified_user_through(rf):
    # given
    request = _request(rf, UserFactory(verified=True))

    # when
    response = post_view(request)

    # then
    assert response.status_code == 200
    assert response.content == b"posted"


def test_verified_email_required_sends_an_unverified_user_to_email_settings(rf):
    # given
    request = _request(rf, UserFactory())

    # when
    response = post_view(request)

    # then
    assert response.status_code == 302
    assert response.url == reverse("account_email")
    messages = [str(m) for m in get_messages(request)]
    assert len(messages) == 1
    assert "verify your email" in messages[0].lower()


def test_verified_email_required_ignores_a_verified_secondary_address(rf):
    # given: only a secondary address is verified, not the account's email
    user = UserFactory()
    user.emailaddress_set.create(email="other@example.com", verified=True)
    request = _request(rf, user)

    # when
    response = post_view(request)

    # then
    assert response.status_code == 302


def test_verified_email_required_sends_an_anonymous_user_to_login(rf):
    # given
    request = _request(rf, AnonymousUser())

    # when
    response = post_view(request)

    # then
    assert response.status_code == 302
    url = urlparse(response.url)
    assert url.path == reverse("account_login")
    assert parse_qs(url.query) == {"next": ["/community/post/?topic=1&page=2"]}


def test_has_verified_email_permission_allows_a_verified_user():
    # given
    request = APIRequestFactory().post("/api/redeem/")
    force_authenticate(request, user=UserFactory(verified=True))

    # when
    response = RedeemApi.as_view()(request)

    # then
    assert response.status_code == 200


def test_has_verified_email_permission_refuses_an_unverified_user_with_its_code():
    # given
    request = APIRequestFactory().post("/api/redeem/")
    force_authenticate(request, user=UserFactory())

    # when
    response = RedeemApi.as_view()(request)

    # then
    assert response.status_code == 403
    assert response.data["code"] == "email_not_verified"
    assert "verify your email" in response.data["detail"].lower()


def test_has_verified_email_permission_refuses_an_anonymous_user():
    # given
    request = APIRequestFactory().post("/api/redeem/")

    # when
    response = RedeemApi.as_view()(request)

    # then
    assert response.status_code in {401, 403}
    assert set(response.data) == {"detail", "code"}
