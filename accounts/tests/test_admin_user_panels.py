"""Other apps' panels on a member's admin page, asked through
core.hooks.ADMIN_USER_PANELS (accounts knows nothing of them)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_site import KampungAdminSite
from accounts.tests.factories import StaffFactory, UserFactory
from core import hooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, monkeypatch):
    """A superuser; the admin's TOTP check is covered in test_admin_mfa."""
    monkeypatch.setattr(
        KampungAdminSite,
        "has_permission",
        lambda self, request: request.user.is_active and request.user.is_staff,
    )
    staff = StaffFactory()
    client.force_login(staff)
    client.staff = staff
    return client


def test_the_member_page_shows_each_panel_a_provider_gives(staff_client):
    # given
    member = UserFactory(display_name="Siti")
    asked = []

    def panels(*, request, user):
        asked.append((request.user, user))
        return [
            {"title": "Garden club", "html": format_html("<p id='club'>{} tends plot 7</p>", user)},
            {"title": "Second panel", "html": format_html("<p>{}</p>", "<b>escaped</b>")},
        ]

    # when
    with hooks.registered(hooks.ADMIN_USER_PANELS, panels):
        response = staff_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    # then: asked once, about this member, by this staff member
    assert response.status_code == 200
    assert asked == [(staff_client.staff, member)]
    page = response.content.decode()
    assert "<h2>Garden club</h2>" in page
    assert f"<p id='club'>{member} tends plot 7</p>" in page
    assert "&lt;b&gt;escaped&lt;/b&gt;" in page
    assert page.index("Garden club") < page.index("Second panel")


def test_the_add_page_asks_no_provider(staff_client):
    # given
    def panels(*, request, user):  # pragma: no cover - must not be called
        raise AssertionError("asked on the add page")

    # when
    with hooks.registered(hooks.ADMIN_USER_PANELS, panels):
        response = staff_client.get(reverse("admin:accounts_user_add"))

    # then
    assert response.status_code == 200


def test_the_member_page_works_with_no_provider(staff_client, monkeypatch):
    # given: no app answers the hook
    monkeypatch.setitem(hooks._registry, hooks.ADMIN_USER_PANELS, [])
    member = UserFactory()

    # when
    response = staff_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    # then
    assert response.status_code == 200
    assert "member-panel" not in response.content.decode()
