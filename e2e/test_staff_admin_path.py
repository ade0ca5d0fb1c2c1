"""A new staff member's way into the admin, in Chromium: log in, set up the
authenticator app, save the recovery codes, land in the admin. Every page
the browser shows is counted: no second password prompt, no second code."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, StaffFactory
from e2e.helpers import Authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ADMIN_HEADING = "Kampung administration"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the step screenshots go (E2E_SCREENSHOTS keeps them after the run)."""
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pages_shown(page: Page) -> list[str]:
    """The paths of the pages the tab showed, redirects left out, in order."""
    shown: list[str] = []

    def on_navigated(frame) -> None:
        if frame == page.main_frame:
            shown.append(urlparse(frame.url).path)

    page.on("framenavigated", on_navigated)
    return shown


def _log_in(page: Page, email: str) -> None:
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).get_by_role(
        "button", name=re.compile(r"log in", re.I)
    ).click()


def test_new_staff_goes_from_login_to_totp_setup_to_codes_to_the_admin(
    page: Page, live_server, shots
):
    # given a staff member without two-factor authentication
    staff = StaffFactory(email="rina@example.com")
    shown = _pages_shown(page)

    # when they open the admin, they are asked to log in
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))
    page.screenshot(path=shots / "staff-1-login.png", full_page=True)
    _log_in(page, staff.email)

    # then they are sent straight to the authenticator set-up, told why
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?next=%2Fadmin%2F$"))
    expect(page.get_by_text("Staff accounts must set up two-factor authentication")).to_be_visible()
    page.screenshot(path=shots / "staff-2-totp-setup.png", full_page=True)

    # when they type the code their new app shows
    authenticator = Authenticator(page.get_by_label("Authenticator secret").input_value())
    page.locator("#id_code").fill(authenticator.fresh_code())
    page.get_by_role("button", name="Activate").click()

    # then the recovery codes, once, with the way on to the admin
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    recovery_codes = page.get_by_label("Unused codes").input_value().split()
    assert len(recovery_codes) >= 5, recovery_codes
    expect(page.get_by_text("Save these codes now")).to_be_visible()
    expect(page.get_by_role("link", name="Generate new codes")).to_have_count(0)
    page.screenshot(path=shots / "staff-3-recovery-codes.png", full_page=True)
    page.get_by_role("link", name="Continue to the admin").click()

    # and the admin opens, no password or code asked again
    expect(page.get_by_role("link", name=ADMIN_HEADING)).to_be_visible()
    expect(page).to_have_url(live_server.url + "/admin/")
    page.screenshot(path=shots / "staff-4-admin.png", full_page=True)
    assert shown == [
        "/accounts/login/",
        "/accounts/2fa/totp/activate/",
        "/accounts/2fa/recovery-codes/",
        "/admin/",
    ], shown

    # when they open another admin page later in the session, it just opens
    page.goto(live_server.url + "/admin/shop/order/")
    expect(page.get_by_role("heading", name="Select order to change")).to_be_visible()


def test_staff_with_totp_enters_one_code_and_lands_on_the_admin_page_asked_for(
    page: Page, live_server, shots
):
    # given a staff member whose authenticator app is set up
    staff = StaffFactory(email="agus@example.com")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    authenticator = Authenticator(secret)
    shown = _pages_shown(page)

    # when they open the order list and log in with password and code
    page.goto(live_server.url + "/admin/shop/order/")
    _log_in(page, staff.email)
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.screenshot(path=shots / "staff-totp-1-code.png", full_page=True)
    page.locator("#id_code").fill(authenticator.fresh_code())
    page.get_by_role("button", name=re.compile(r"log in", re.I)).first.click()

    # then the order list opens, nothing asked in between
    expect(page.get_by_role("heading", name="Select order to change")).to_be_visible()
    page.screenshot(path=shots / "staff-totp-2-orders.png", full_page=True)
    assert shown == ["/accounts/login/", "/accounts/2fa/authenticate/", "/admin/shop/order/"], shown
