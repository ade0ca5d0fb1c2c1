"""Staff define rewards in the admin, in both languages; a reward that needs
a value is refused without one, and nothing is saved."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import Badge, MemberBadge, Reward, RewardKind
from loyalty.profile import profile_sections

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


def _form(**values) -> dict:
    return {
        "name_en": "Free delivery",
        "name_ind": "Gratis ongkir",
        "description_en": "",
        "description_ind": "",
        "kind": RewardKind.FREE_SHIPPING,
        "value": "",
        "minimum_subtotal": "0",
        "points_price": "800",
        "stock": "",
        "limit_per_member": "",
        "valid_days": "30",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "is_active": "on",
        **values,
    }


def test_staff_add_a_free_shipping_reward_without_a_value(admin_client):
    response = admin_client.post(reverse("admin:loyalty_reward_add"), _form())

    assert response.status_code == 302
    reward = Reward.objects.get()
    assert (reward.kind, reward.value, reward.valid_days) == (RewardKind.FREE_SHIPPING, None, 30)
    assert (reward.name_en, reward.name_ind) == ("Free delivery", "Gratis ongkir")


def test_an_amount_off_without_its_amount_is_refused_with_a_message(admin_client):
    response = admin_client.post(
        reverse("admin:loyalty_reward_add"), _form(kind=RewardKind.FIXED, name_en="Rp 25.000 off")
    )

    assert response.status_code == 200
    assert "Give the amount or the percentage off." in response.content.decode()
    assert not Reward.objects.exists()


def test_a_badge_removed_in_the_admin_leaves_the_profile(
    admin_client, django_capture_on_commit_callbacks
):
    cache.clear()
    member = UserFactory()
    badge = Badge.objects.create(
        code="first", name="First review", rule="review", criterion="award_count"
    )
    held = MemberBadge.objects.create(user=member, badge=badge)
    assert "First review" in profile_sections(user=member)[0]["html"]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:loyalty_memberbadge_delete", args=[held.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert profile_sections(user=member) == []
