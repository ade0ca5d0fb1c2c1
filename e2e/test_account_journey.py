"""A member's account, end to end in Chromium: sign-up, email verification,
two-factor authentication, the profile, log-in by emailed code, the language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import (
    Authenticator,
    code_in,
    expect_image_loaded,
    expect_stylesheets_applied,
    link_in,
    wait_for_mail,
    write_png,
)

# serialized_rollback: each journey starts from the migrated data (the named
# Site the mails sign with), which a transactional test's flush would drop.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "siti@example.com"
PASSWORD = "kebun-mangga-29-hijau"
DISPLAY_NAME = "Siti Rahayu"
BIO = "Sells sambal at the Saturday market."


def header(page: Page):
    return page.get_by_role("banner")


def account_menu(page: Page):
    return header(page).locator(".account-menu summary")


def log_out(page: Page) -> None:
    account_menu(page).click()
    header(page).get_by_role("button", name="Log out").click()
    expect(header(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(account_menu(page)).to_have_count(0)


def log_in_with_password(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    header(page).get_by_role("link", name="Log in").click()
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password")).get_by_role(
        "button", name=re.compile(r"sign in|log in", re.I)
    ).click()


def sign_up(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    header(page).get_by_role("link", name="Sign up").click()
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("form").filter(has=page.locator("#id_password2")).get_by_role(
        "button", name=re.compile(r"sign up", re.I)
    ).click()


def test_member_signs_up_verifies_sets_up_totp_and_edits_profile(page: Page, live_server, tmp_path):
    base = live_server.url

    # given a visitor on the home page, styled by our own CSS
    page.goto(base + "/")
    stylesheets = expect_stylesheets_applied(page)
    assert any("/static/" in href for href in stylesheets), stylesheets
    # kampung.js marks the page .js, and kampung.css then shrinks the language
    # form's submit button to 1 px (the select submits itself)
    expect(page.locator("html")).to_have_class(re.compile(r"\bjs\b"))
    submit_box = page.locator(".language-submit").bounding_box()
    assert submit_box and submit_box["width"] <= 1, submit_box

    # when they sign up, they are asked to verify the address (the page a
    # taken address gets too: sign-up does not tell who has an account)
    sign_up(page, base)
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1, name="Verify Your Email Address")).to_be_visible()
    expect(account_menu(page)).to_have_count(0)

    # and the verification link in the mail confirms it and signs them in
    message = wait_for_mail(to=EMAIL, subject="confirm")
    assert "example.com" not in message.body, message.body
    page.goto(link_in(message, "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", name=re.compile("confirm", re.I))).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(re.compile(rf"You have confirmed {re.escape(EMAIL)}"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_text("Please verify your email address.")).to_have_count(0)
    expect(page.locator(".badge", has_text="Verified")).to_be_visible()

    # then they log out and back in with the password
    log_out(page)
    log_in_with_password(page, base)
    expect(page).to_have_url(re.compile(r"/profile/$"))
    # (without a display name the header shows the numbered name others see)
    expect(account_menu(page)).to_contain_text(re.compile(r"Member \d+"))
    expect(page.locator("#public-name-note")).to_contain_text("until you choose a display name")

    # when they activate an authenticator app with the secret the page shows
    account_menu(page).click()
    header(page).get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    expect(page.get_by_text("An authenticator app is not active.")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Activate").click()

    # (changing two-factor settings asks for the password again, however recent the log-in)
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=re.compile("authenticator app", re.I))).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    authenticator = Authenticator(secret)
    page.locator("#id_code").fill(authenticator.fresh_code())
    page.get_by_role("button", name="Activate").click()

    # then the recovery codes follow
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_role("heading", name=re.compile("recovery codes", re.I))).to_be_visible()
    recovery_codes = page.get_by_label("Unused codes").input_value().split()
    assert len(recovery_codes) >= 5, recovery_codes

    # when they fill in the profile with an avatar
    avatar = write_png(tmp_path / "siti.png")
    account_menu(page).click()
    header(page).get_by_role("link", name="Profile").click()
    page.locator("#id_display_name").fill(DISPLAY_NAME)
    page.locator("#id_bio").fill(BIO)
    page.get_by_label("Avatar").set_input_files(avatar)
    page.get_by_role("button", name=re.compile(r"^save", re.I)).click()

    # then the saved values, the avatar and the new name in the header show
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    expect(page.locator("#id_display_name")).to_have_value(DISPLAY_NAME)
    expect(page.locator("#id_bio")).to_have_value(BIO)
    expect(account_menu(page)).to_contain_text(DISPLAY_NAME)
    expect_image_loaded(page, "main img[src*='/media/avatars/']")
    expect_image_loaded(page, ".account-menu img[src*='/media/avatars/']")

    # when they log out and in again, the password alone is not enough
    log_out(page)
    log_in_with_password(page, base)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(account_menu(page)).to_have_count(0)
    page.locator("#id_code").fill(authenticator.fresh_code())
    page.get_by_role("button", name=re.compile(r"sign in|log in", re.I)).first.click()

    # then the code from the app lets them in, under their display name
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(account_menu(page)).to_contain_text(DISPLAY_NAME)
    expect(page.locator("#id_display_name")).to_have_value(DISPLAY_NAME)
    expect(page.get_by_text("An authenticator app protects your account.")).to_be_visible()
    page.screenshot(path=tmp_path / "journey-end.png", full_page=True)


def test_member_logs_in_with_a_code_sent_by_mail(page: Page, live_server):
    from accounts.tests.factories import UserFactory

    # given a member with a verified address
    UserFactory(email=EMAIL, display_name=DISPLAY_NAME, verified=True)

    # when they ask for a sign-in code instead of typing a password
    page.goto(live_server.url + "/")
    header(page).get_by_role("link", name="Log in").click()
    page.get_by_role("link", name=re.compile("sign-in code", re.I)).click()
    page.locator("#id_email").fill(EMAIL)
    page.get_by_role("button", name=re.compile("request code", re.I)).click()

    # and type the code the mail brings
    expect(page.get_by_role("heading", name="Enter Sign-In Code")).to_be_visible()
    expect(page.get_by_text(f"We've sent a code to {EMAIL}")).to_be_visible()
    message = wait_for_mail(to=EMAIL, subject="code")
    assert "Kampung" in message.subject + message.body, message.body
    assert "example.com" not in message.body, message.body
    code = code_in(message)
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="Confirm").click()

    # then they are logged in
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(account_menu(page)).to_contain_text(DISPLAY_NAME)
    expect(page.get_by_text(f"Signed in as {EMAIL}.")).to_be_visible()


def test_language_switcher_shows_the_site_in_bahasa_indonesia(
    page: Page, live_server, compiled_translations
):
    if not compiled_translations:
        pytest.xfail("locale/ has no Indonesian catalogue yet")

    # given a visitor on the English home page
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(header(page).get_by_role("link", name="Log in")).to_be_visible()

    # when they pick Bahasa Indonesia in the header
    page.get_by_label("Language").select_option("id")

    # then the page comes back in Indonesian, and stays so on the next page
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page).to_have_url(re.compile(r"/id/$"))
    expect(header(page).get_by_role("link", name="Masuk")).to_be_visible()
    header(page).get_by_role("link", name="Masuk").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
