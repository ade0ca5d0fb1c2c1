"""A staff session ends after STAFF_IDLE_TIMEOUT_SECONDS without a request;
members keep their long sessions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import middleware
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINUTE = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * MINUTE


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(middleware.time, "time", clock)
    return clock


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_staff_session_ends_after_thirty_idle_minutes(client, clock, settings):
    # given
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 30 * MINUTE
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(reverse("accounts:profile")).status_code == 200

    # when
    clock.advance(31)
    response = client.get(reverse("accounts:profile"))

    # then
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not _signed_in(client)


def test_a_working_staff_member_stays_signed_in(client, clock, settings):
    # given
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 30 * MINUTE
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    # when: a request every 20 minutes for two hours
    statuses = []
    for _ in range(6):
        statuses.append(client.get(reverse("accounts:profile")).status_code)
        clock.advance(20)

    # then
    assert statuses == [200] * 6
    assert _signed_in(client)


def test_a_members_session_outlasts_the_staff_timeout(client, clock, settings):
    # given
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 30 * MINUTE
    member = UserFactory()
    client.force_login(member)
    client.get(reverse("accounts:profile"))

    # when: three idle days
    clock.advance(3 * 24 * 60)
    response = client.get(reverse("accounts:profile"))

    # then
    assert response.status_code == 200
    assert _signed_in(client)


def test_the_timeout_is_configurable(client, clock, settings):
    # given
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 5 * MINUTE
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    client.get(reverse("accounts:profile"))

    # when
    clock.advance(6)
    response = client.get(reverse("accounts:profile"), follow=True)

    # then
    assert not _signed_in(client)
    assert b"without activity" in response.content
