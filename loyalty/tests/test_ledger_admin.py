"""The ledger in the admin: read-only entries, adjustments with a reason by
staff who hold the permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import EntryKind, LedgerEntry, PointsAccount
from loyalty.services.ledger import points_award

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, monkeypatch):
    """Staff; the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff = StaffFactory(is_superuser=False)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="loyalty",
            codename__in=[
                "view_ledgerentry",
                "view_award",
                "view_pointsaccount",
                "change_pointsaccount",
            ],
        )
    )
    client.force_login(staff)
    client.staff = staff
    return client


def _grant_adjust(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="adjust_points"))


def _adjust(client, account, points, reason):
    return client.post(
        reverse("admin:loyalty_pointsaccount_changelist"),
        {
            "action": "adjust",
            "_selected_action": [account.pk],
            "points": points,
            "reason": reason,
        },
        follow=True,
    )


def test_staff_with_the_permission_adjust_with_a_reason(staff_client):
    # given
    _grant_adjust(staff_client.staff)
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=30)
    account = PointsAccount.objects.get(user=member)

    # when
    response = _adjust(staff_client, account, "20", "Parcel arrived damaged")

    # then
    assert "1 accounts adjusted." in response.content.decode()
    entry = LedgerEntry.objects.get(kind=EntryKind.ADJUST)
    assert (entry.points, entry.note, entry.actor) == (
        20,
        "Parcel arrived damaged",
        staff_client.staff,
    )
    account.refresh_from_db()
    assert account.available == 50


def test_an_adjustment_without_a_reason_is_refused_and_writes_nothing(staff_client):
    _grant_adjust(staff_client.staff)
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=30)
    account = PointsAccount.objects.get(user=member)

    response = _adjust(staff_client, account, "20", "")

    assert "Give a reason for the adjustment." in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()


def test_staff_without_the_permission_cannot_adjust(staff_client):
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=30)
    account = PointsAccount.objects.get(user=member)

    _adjust(staff_client, account, "20", "why not")

    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()


def test_ledger_entries_cannot_be_changed_or_deleted_in_the_admin(staff_client):
    # given: even a superuser
    staff_client.staff.is_superuser = True
    staff_client.staff.save()
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=30)
    entry = LedgerEntry.objects.get()

    # when
    page = staff_client.get(reverse("admin:loyalty_ledgerentry_change", args=[entry.pk]))
    posted = staff_client.post(
        reverse("admin:loyalty_ledgerentry_change", args=[entry.pk]), {"points": 999}
    )
    deleted = staff_client.post(
        reverse("admin:loyalty_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    # then
    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert posted.status_code == 403 and deleted.status_code == 403
    entry.refresh_from_db()
    assert entry.points == 30


def test_the_ledger_list_query_count_does_not_grow(staff_client, django_assert_max_num_queries):
    # given: many entries
    for n in range(30):
        points_award(user_id=UserFactory().pk, rule="review", subject=f"review:{n}", points=5)

    # when / then
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:loyalty_ledgerentry_changelist"))
    assert response.status_code == 200
