"""A member's notification centre in Chromium: the bell's count, the list,
marking a line read in place (htmx), opening one, and the settings."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, UserFactory
from core.notifications import notify
from e2e.helpers import expect_stylesheets_applied

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.locator(".account-menu summary")).to_be_visible()


def test_a_member_reads_their_notifications(page: Page, live_server):
    # given a member with three unread notifications
    member = UserFactory(email="dewi@example.com", display_name="Dewi")
    for n, product in enumerate(["Sambal Bawang", "Kopi Gayo", "Batik Parang"]):
        notify(
            user_id=member.pk,
            kind="shop.back_in_stock",
            key=f"e2e:{n}",
            data={"product": product},
            url="/notifications/settings/",
        )
    _log_in(page, live_server.url, member.email)

    # the bell says so
    bell = page.locator("[data-notifications-link]")
    expect(bell.locator("#notifications-badge")).to_have_text("3")
    expect(bell).to_contain_text("3 unread notifications")

    # when they open the list
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    expect_stylesheets_applied(page)
    lines = page.locator(".notification")
    expect(lines).to_have_count(3)
    expect(page.locator(".notification-unread")).to_have_count(3)

    # and mark one read in place
    first = lines.first
    expect(first).to_contain_text("Batik Parang is back in stock")
    first.get_by_role("button", name="Mark as read").click()
    expect(page.locator(".notification-unread")).to_have_count(2)
    expect(bell.locator("#notifications-badge")).to_have_text("2")
    if os.environ.get("E2E_SCREENSHOTS"):
        page.screenshot(path=os.environ["E2E_SCREENSHOTS"] + "/notifications.png", full_page=True)
    expect(page).to_have_url(live_server.url + "/notifications/")

    # when they open another line, it is read and its page opens
    page.get_by_role("button", name="Unread: Kopi Gayo is back in stock").click()
    expect(page).to_have_url(live_server.url + "/notifications/settings/")
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
    if os.environ.get("E2E_SCREENSHOTS"):
        page.screenshot(path=os.environ["E2E_SCREENSHOTS"] + "/settings.png", full_page=True)
    expect(page.locator("[data-notifications-link] #notifications-badge")).to_have_text("1")

    # and "mark all as read" empties the badge
    page.goto(live_server.url + "/notifications/")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All your notifications are marked as read.")).to_be_visible()
    expect(page.locator(".notification-unread")).to_have_count(0)
    expect(page.locator("[data-notifications-link] .badge")).to_have_count(0)
