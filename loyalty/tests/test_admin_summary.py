"""A member's points summary on their admin page (loyalty answers
core.hooks.ADMIN_USER_PANELS), for staff who may view points accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from loyalty.admin.reports import member_admin_panels
from loyalty.models import Badge, MemberBadge, MemberTier, PointsAccount, ProgramSettings, Tier
from loyalty.services.ledger import award_standing, points_award, points_redeem

pytestmark = pytest.mark.django_db

LOYALTY_VIEW = ["view_pointsaccount", "view_ledgerentry", "view_award"]


@pytest.fixture
def admin_client_for(client, monkeypatch):
    """A staff client holding the given loyalty permissions (and the user
    admin's); the admin's TOTP check is covered in accounts' tests."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )

    def make(codenames):
        staff = StaffFactory(is_superuser=False)
        staff.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=["view_user", "change_user"]
            ),
            *Permission.objects.filter(content_type__app_label="loyalty", codename__in=codenames),
        )
        client.force_login(staff)
        return client

    return make


def _member_page(client, member):
    return client.get(reverse("admin:accounts_user_change", args=[member.pk]))


def _member_with_history():
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:1", points=1200)
    points_award(user_id=member.pk, rule="purchase", subject="order:1", points=300, pending=True)
    points_redeem(user_id=member.pk, points=200, subject="order:2")
    tier = Tier.objects.create(name="Gold", threshold=1000, order=3)
    MemberTier.objects.create(user=member, tier=tier, kept_until=timezone.localdate())
    for code in ("first", "second"):
        badge = Badge.objects.create(code=code, name=code.title(), criterion="rule_count")
        MemberBadge.objects.create(user=member, badge=badge)
    return member


def test_staff_see_the_members_balance_tier_badges_activity_and_expiry(admin_client_for):
    # given
    program = ProgramSettings.current()
    program.expiry_months, program.expiry_reminder_days, program.point_value = 12, 0, 10
    program.save()
    member = _member_with_history()
    idle = timezone.now() - timedelta(days=100)
    PointsAccount.objects.filter(user=member).update(last_activity_at=idle)
    client = admin_client_for(LOYALTY_VIEW)

    # when
    page = _member_page(client, member).content.decode()

    # then
    assert "<h2>Rewards</h2>" in page
    assert "1,000 available (worth Rp\xa010,000)" in page
    assert "300 pending" in page
    assert "nothing owed" in page
    assert "Gold" in page
    assert 'field-loyalty-badges">' in page and ">2</div>" in page
    assert formats.date_format(timezone.localtime(idle), "DATETIME_FORMAT") in page
    expires = (timezone.localtime(idle) + timedelta(days=366)).date()
    # 12 months on, at the start of the next day (a leap day aside: within a day)
    assert any(
        f"on {formats.date_format(day, 'DATE_FORMAT')}, unless the member earns or spends" in page
        for day in (expires - timedelta(days=1), expires, expires + timedelta(days=1))
    )
    entries = reverse("admin:loyalty_ledgerentry_changelist")
    awards = reverse("admin:loyalty_award_changelist")
    assert f'href="{entries}?user__id__exact={member.pk}"' in page
    assert f'href="{awards}?user__id__exact={member.pk}"' in page


def test_the_ledger_link_lists_only_that_members_entries(admin_client_for):
    # given
    member, other = _member_with_history(), UserFactory()
    points_award(user_id=other.pk, rule="review", subject="review:other", points=77)
    client = admin_client_for(LOYALTY_VIEW)

    # when
    response = client.get(
        reverse("admin:loyalty_ledgerentry_changelist"), {"user__id__exact": member.pk}
    )

    # then
    assert response.status_code == 200
    shown = {entry.user_id for entry in response.context["cl"].result_list}
    assert shown == {member.pk}


def test_a_debt_is_shown(admin_client_for):
    # given: 50 points spent, then taken back
    member = UserFactory()
    points_award(user_id=member.pk, rule="review", subject="review:9", points=50)
    points_redeem(user_id=member.pk, points=50, subject="order:9")
    award_standing(user_id=member.pk, rule="review", subject="review:9", share=0)
    client = admin_client_for(LOYALTY_VIEW)

    # when
    page = _member_page(client, member).content.decode()

    # then
    assert "<strong>50 owed</strong>" in page


def test_a_member_with_no_points_yet(admin_client_for):
    # given
    member = UserFactory()
    client = admin_client_for(LOYALTY_VIEW)

    # when
    page = _member_page(client, member).content.decode()

    # then
    assert "No points yet." in page
    assert "Nothing to expire." in page


def test_staff_without_the_loyalty_view_permission_see_no_panel(admin_client_for):
    # given
    member = _member_with_history()
    client = admin_client_for([])

    # when
    response = _member_page(client, member)

    # then
    assert response.status_code == 200
    assert "<h2>Rewards</h2>" not in response.content.decode()


def test_the_panel_reads_in_a_fixed_number_of_queries(admin_client_for):
    # given: a member with little history and one with much
    quiet = UserFactory()
    busy = _member_with_history()
    for n in range(30):
        points_award(user_id=busy.pk, rule="review", subject=f"review:b{n}", points=5)
    client = admin_client_for(LOYALTY_VIEW)

    _member_page(client, quiet)  # the session's first request reads more

    # when
    counts = []
    for member in (quiet, busy):
        with CaptureQueriesContext(connection) as queries:
            assert _member_page(client, member).status_code == 200
        counts.append(len(queries))

    # then
    assert counts[0] == counts[1]


def test_the_panel_in_indonesian(rf):
    # given
    member = _member_with_history()
    staff = StaffFactory()
    request = rf.get("/admin/")
    request.user = staff

    # when
    with translation.override("id"):
        [panel] = member_admin_panels(request=request, user=member)

    # then
    assert panel["title"] == "Hadiah"
    assert "1.000 tersedia" in panel["html"]
    assert "Entri buku besar" in panel["html"]
