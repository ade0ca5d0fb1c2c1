"""Behind the TLS proxy every request comes from the proxy's address: the
limits must see the client's address from X-Forwarded-For, and only the hop
the trusted proxy wrote."""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.settings import api_settings

from accounts.network import client_ip
from accounts.tests.factories import PASSWORD, UserFactory
from core.api.throttling import WriteRateThrottle

PROXY = "10.0.0.2"
CLIENT_A = "203.0.113.10"
CLIENT_B = "198.51.100.20"


@pytest.fixture
def behind_proxy(settings):
    settings.KAMPUNG_TRUSTED_PROXIES = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    yield
    api_settings.reload()


def _login(client, email: str, password: str, forwarded_for: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_ten_failed_logins_from_one_client_do_not_block_another_client(client, behind_proxy):
    # given: one person behind the proxy fails ten logins (the per-IP limit)
    member = UserFactory(email="member@example.com")
    attacker = client.__class__()
    statuses = [
        _login(attacker, f"guess{i}@example.com", "wrong", CLIENT_A).status_code for i in range(10)
    ]

    # when: another member logs in through the same proxy
    response = _login(client, "member@example.com", PASSWORD, CLIENT_B)

    # then
    assert statuses == [200] * 10
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.pk


@pytest.mark.django_db
def test_the_failing_client_itself_is_still_limited_behind_the_proxy(client, behind_proxy):
    # given: the attacker forges a new left-most address on every try; the
    # proxy appends the real one, which is the only one trusted
    UserFactory(email="member@example.com")
    for i in range(10):
        _login(client, f"guess{i}@example.com", "wrong", f"192.0.2.{i}, {CLIENT_A}")

    # when
    response = _login(client, "member@example.com", PASSWORD, f"192.0.2.99, {CLIENT_A}")

    # then: allauth's per-IP limit refuses even the right password
    assert response.status_code in {200, 429}
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    # given
    settings.KAMPUNG_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_A)

    # when / then
    assert client_ip(request) == PROXY
    assert get_client_ip_address(request) == PROXY


def test_axes_allauth_and_the_api_throttle_agree_on_the_client(behind_proxy):
    # given
    from allauth.account.adapter import get_adapter

    request = RequestFactory().post(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {CLIENT_A}"
    )

    # when
    seen = {
        "ours": client_ip(request),
        "axes": get_client_ip_address(request),
        "allauth": get_adapter().get_client_ip(request),
        "api": WriteRateThrottle().get_ident(Request(request)),
    }

    # then
    assert seen == dict.fromkeys(seen, CLIENT_A)


def test_a_forwarded_value_that_is_not_an_address_falls_back_to_the_peer(behind_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="unknown")

    assert client_ip(request) == PROXY


@pytest.mark.parametrize(
    ("trusted", "expected"), [(0, PROXY), (1, CLIENT_A)], ids=["no proxy", "one proxy"]
)
def test_request_logs_name_the_client_the_limits_see(settings, trusted, expected):
    # given: a client that forges a left-most address
    import structlog
    from django_structlog.middlewares.request import RequestMiddleware

    settings.KAMPUNG_TRUSTED_PROXIES = trusted
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.66, {CLIENT_A}"
    )
    middleware = RequestMiddleware(lambda request: None)

    # when
    structlog.contextvars.clear_contextvars()
    middleware.prepare(request)

    # then
    assert structlog.contextvars.get_contextvars()["ip"] == expected
    structlog.contextvars.clear_contextvars()
