"""The points liability report in the admin: what members hold, what it is
worth at checkout, and what expires soon by the expiry task's own rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.models import EntryKind, LedgerEntry, PointsAccount, ProgramSettings
from loyalty.selectors.liability import points_liability
from loyalty.services.expiry import expiry_reminders_send, points_expire_due
from loyalty.services.ledger import award_standing, points_adjust, points_award, points_redeem

pytestmark = pytest.mark.django_db

URL = "/admin/loyalty/ledgerentry/liability/"


@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )

    def make(codenames=("view_pointsaccount", "view_ledgerentry")):
        staff = StaffFactory(is_superuser=False)
        staff.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="loyalty", codename__in=codenames)
        )
        client.force_login(staff)
        return client

    return make


def _program(**values) -> ProgramSettings:
    program = ProgramSettings.current()
    for name, value in {"expiry_months": 12, "expiry_reminder_days": 14, **values}.items():
        setattr(program, name, value)
    program.save()
    return program


def _member(points: int, *, idle_days: int | None = None, reminded_days_ago: int | None = None):
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject=f"review:{member.pk}", points=points)
    now = timezone.now()
    if idle_days is not None:
        PointsAccount.objects.filter(user=member).update(
            last_activity_at=now - timedelta(days=idle_days)
        )
    if reminded_days_ago is not None:
        PointsAccount.objects.filter(user=member).update(
            expiry_reminded_at=now - timedelta(days=reminded_days_ago)
        )
    return member


def _book():
    """1,000 expiring soon (reminded), 500 due a reminder, 200 active with
    300 pending, 50 owed, 400 held by staff."""
    _member(1000, idle_days=355, reminded_days_ago=20)
    _member(500, idle_days=350)
    active = _member(200)
    points_award(user_id=active.pk, rule="purchase", subject="order:1", points=300, pending=True)
    debtor = _member(50)
    points_redeem(user_id=debtor.pk, points=50, subject="order:2")
    award_standing(user_id=debtor.pk, rule="review", subject=f"review:{debtor.pk}", share=0)
    staff = StaffFactory()
    points_adjust(user_id=staff.pk, points=400, reason="Test account", actor=staff)
    PointsAccount.objects.filter(user=staff).update(
        last_activity_at=timezone.now() - timedelta(days=1000)
    )


def test_the_figures_add_up_the_accounts():
    # given
    _program(point_value=Decimal("10"))
    _book()

    # when
    liability = points_liability()

    # then
    assert (liability.available, liability.available_members) == (2100, 4)
    assert liability.available_value == Decimal("21000")
    assert liability.staff_available == 400
    assert (liability.pending, liability.pending_members) == (300, 1)
    assert (liability.debt, liability.debt_members) == (50, 1)
    # the reminded 1,000 and the 500 whose reminder goes out now (14 days' notice)
    assert (liability.expiring, liability.expiring_members) == (1500, 2)
    assert liability.expiring_value == Decimal("15000")


def test_expiring_points_are_what_the_expiry_task_takes_in_those_days():
    # given
    _program()
    _book()
    now = timezone.now()
    expiring = points_liability(now=now).expiring

    # when the daily runs go for the next 30 days
    for day in range(31):
        expiry_reminders_send(now=now + timedelta(days=day))
        points_expire_due(now=now + timedelta(days=day))

    # then
    taken = LedgerEntry.objects.filter(kind=EntryKind.EXPIRE).aggregate(total=Sum("points"))
    assert -taken["total"] == expiring == 1500


def test_a_notice_longer_than_the_horizon_leaves_unreminded_members_out():
    # given: 60 days' notice; the 500's reminder has not gone out
    _program(expiry_reminder_days=60)
    _member(1000, idle_days=355, reminded_days_ago=61)
    _member(500, idle_days=350)

    # when
    liability = points_liability()

    # then
    assert (liability.expiring, liability.expiring_members) == (1000, 1)


def test_the_report_page_shows_the_figures_and_their_value(staff_client):
    # given
    _program(point_value=Decimal("10"))
    _book()
    client = staff_client()

    # when
    response = client.get(URL)

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Points liability" in page
    for figure in ("2,100", "Rp\xa021,000", "400", "300", "Rp\xa03,000", "50", "1,500"):
        assert f">{figure}</td>" in page
    assert "of which expire in the next 30 days" in page
    assert "Points expire after 12 months without earning or spending." in page
    assert "One point takes Rp\xa010 off an order at checkout." in page


def test_with_expiry_off_the_report_says_points_never_expire(staff_client):
    # given
    _program(expiry_months=0)
    _member(100, idle_days=900)
    client = staff_client()

    # when
    page = client.get(URL).content.decode()

    # then
    assert "Points never expire (expiry is off)." in page
    assert "expire in the next" not in page


def test_the_report_reads_in_a_fixed_number_of_queries(staff_client):
    # given
    _program()
    client = staff_client()
    _member(10, idle_days=355, reminded_days_ago=20)
    client.get(URL)  # the session's first request reads more
    with CaptureQueriesContext(connection) as few:
        client.get(URL)

    # when there are many more accounts, many of them expiring
    for n in range(25):
        _member(10 + n, idle_days=355, reminded_days_ago=20)
        _member(10 + n)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    # then
    assert response.context["liability"].expiring_members == 26
    assert len(many) == len(few)


def test_staff_without_the_loyalty_view_permission_are_refused(staff_client):
    # given
    client = staff_client(codenames=("view_ledgerentry",))

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response.url


def test_the_report_is_linked_from_the_rewards_admin_and_the_ledger(staff_client):
    # given
    client = staff_client()

    # when
    app_index = client.get(reverse("admin:app_list", args=["loyalty"])).content.decode()
    ledger = client.get(reverse("admin:loyalty_ledgerentry_changelist")).content.decode()

    # then
    assert f'href="{URL}"' in app_index
    assert f'href="{URL}"' in ledger


def test_the_link_is_not_offered_without_the_permission(staff_client):
    # given
    client = staff_client(codenames=("view_ledgerentry",))

    # when
    ledger = client.get(reverse("admin:loyalty_ledgerentry_changelist")).content.decode()

    # then
    assert URL not in ledger
