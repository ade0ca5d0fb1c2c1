"""Tiers in the admin: staff define them in both languages; members' tiers
are read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import MemberTier, Tier
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_staff(client, monkeypatch):
    """A superuser; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    client.force_login(StaffFactory())
    return client


def test_staff_define_a_tier_with_its_perks_in_both_languages(admin_staff):
    # when
    response = admin_staff.post(
        reverse("admin:loyalty_tier_add"),
        {
            "name_en": "Gold",
            "name_ind": "Emas",
            "description_en": "Free shipping",
            "description_ind": "Gratis ongkir",
            "threshold": "500",
            "multiplier": "1.5",
            "order": "1",
            "badge_label": "GOLD",
            "colour": "#b8860b",
        },
    )

    # then
    assert response.status_code == 302
    tier = Tier.objects.get()
    assert (tier.name_en, tier.name_ind, tier.label) == ("Gold", "Emas", "GOLD")


def test_member_tiers_are_listed_read_only(admin_staff, django_assert_max_num_queries):
    # given
    Tier.objects.create(name="Gold", threshold=10)
    for member in UserFactory.create_batch(5):
        points_award(user_id=member.pk, rule="review", subject="review:1", points=20)
    assert MemberTier.objects.count() == 5
    row = MemberTier.objects.first()

    # when
    with django_assert_max_num_queries(12):
        listing = admin_staff.get(reverse("admin:loyalty_membertier_changelist"))
    change = admin_staff.post(
        reverse("admin:loyalty_membertier_change", args=[row.pk]), {"tier": ""}
    )

    # then
    assert listing.status_code == 200
    assert change.status_code == 403
    assert MemberTier.objects.get(pk=row.pk).tier is not None
