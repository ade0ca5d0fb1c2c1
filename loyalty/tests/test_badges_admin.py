"""Badges and challenges are defined by staff in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory
from loyalty.models import Badge, Challenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, monkeypatch):
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    client.force_login(StaffFactory())
    return client


def test_staff_define_a_badge_in_both_languages(admin_client):
    # when
    response = admin_client.post(
        reverse("admin:loyalty_badge_add"),
        {
            "code": "helpful-reviewer",
            "name_en": "Helpful reviewer",
            "name_ind": "Pengulas yang membantu",
            "description_en": "50 helpful votes",
            "description_ind": "50 suara membantu",
            "level": "silver",
            "criterion": "award_count",
            "rule": "review_helpful",
            "area": "",
            "threshold": 50,
            "show_next_to_name": "on",
            "enabled": "on",
            "order": 1,
        },
    )

    # then
    assert response.status_code == 302
    badge = Badge.objects.get(code="helpful-reviewer")
    assert (badge.name_en, badge.name_ind, badge.threshold) == (
        "Helpful reviewer",
        "Pengulas yang membantu",
        50,
    )


def test_a_count_badge_without_a_rule_is_refused_with_a_message(admin_client):
    response = admin_client.post(
        reverse("admin:loyalty_badge_add"),
        {
            "code": "nothing",
            "name_en": "Nothing",
            "level": "bronze",
            "criterion": "award_count",
            "rule": "",
            "threshold": 1,
            "order": 0,
        },
    )

    assert response.status_code == 200
    assert "Name the earning rule this badge counts." in response.content.decode()
    assert not Badge.objects.exists()


def test_a_challenge_that_ends_before_it_starts_is_refused(admin_client):
    now = timezone.localtime()
    response = admin_client.post(
        reverse("admin:loyalty_challenge_add"),
        {
            "name_en": "Backwards",
            "rule": "review",
            "target": 3,
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": "10:00:00",
            "ends_at_0": (now - dt.timedelta(days=1)).strftime("%Y-%m-%d"),
            "ends_at_1": "10:00:00",
            "bonus_points": 100,
            "enabled": "on",
        },
    )

    assert response.status_code == 200
    assert "A challenge ends after it starts." in response.content.decode()
    assert not Challenge.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["loyalty_badge", "loyalty_memberbadge", "loyalty_challenge", "loyalty_challengecompletion"],
)
def test_badge_and_challenge_lists_render(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
