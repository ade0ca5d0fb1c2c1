"""Forums in Chromium: a member starts a thread, another quotes it in a
reply and likes it (htmx), the first reads the reply; two members flag the
reply, which disappears for others until a moderator restores it in the
admin (signed in with two-factor, as staff must be).

The page cache is on, as in production."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from accounts.tests.factories import PASSWORD
from community.models import CommunitySettings, Post, TrustLevel
from community.services.members import member_profile
from community.tests.factories import MemberFactory, make_moderator, trusted
from community.tests.forums_factories import ForumCategoryFactory
from e2e.helpers import Authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


# Set E2E_SCREENSHOTS=/some/dir to keep pictures of the pages the journey sees.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _signed_in(browser: Browser, live_server, user, *, client: Client | None = None) -> Page:
    """A new browser tab holding `user`'s session (from a test client)."""
    if client is None:
        client = Client()
        client.force_login(user)
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def _moderator_client(moderator) -> Client:
    """A session that passed two-factor authentication (the admin wants it)."""
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": moderator.email, "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    response = client.post(
        reverse("mfa_authenticate"), {"code": Authenticator(secret).fresh_code()}
    )
    assert response.status_code == 302
    return client


def _flag(page: Page, url: str, number: int) -> None:
    page.goto(url)
    post = page.locator(f"#post-{number}")
    post.locator("summary", has_text="Flag").click()
    post.get_by_label("Spam or advertising").check()
    post.get_by_role("button", name="Send flag").click()
    expect(page.get_by_text("Thank you.")).to_be_visible()


def test_a_thread_a_quoting_reply_a_like_and_flags_that_a_moderator_overrules(
    page: Page, browser: Browser, live_server
):
    # given a forum category, two flags hide a post, and four regular members
    ForumCategoryFactory(name="Recipes & ideas", slug="recipes")
    rules = CommunitySettings.current()
    rules.flags_to_hide = 2
    rules.save()
    starter, replier, flagger_1, flagger_2 = (
        trusted(MemberFactory(display_name=name), TrustLevel.MEMBER)
        for name in ("Dewi Lestari", "Budi Santoso", "Agus Pratama", "Rina Wati")
    )

    # when the first member starts a thread
    client = Client()
    client.force_login(starter)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + "/community/forums/")
    screenshot(page, "forums-0-index")
    page.get_by_role("link", name="Recipes & ideas").click()
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").fill("Sambal in a cobek")
    page.get_by_label("Text").fill("Roast the chillies and shallots first.")
    page.get_by_role("button", name="Start thread").click()

    # then they are on their thread
    expect(page.get_by_role("heading", name="Sambal in a cobek")).to_be_visible()
    thread_url = page.url
    screenshot(page, "forums-1-thread")

    # when another member quotes it in a reply and likes it
    other = _signed_in(browser, live_server, replier)
    other.goto(thread_url)
    other.locator("#post-1").get_by_role("link", name="Quote").click()
    reply_box = other.get_by_label("Your reply")
    handle = member_profile(user=starter).handle
    expect(reply_box).to_have_value(re.compile(rf"^@{handle} wrote:\n> Roast the chillies"))
    screenshot(other, "forums-2-quote")
    reply_box.press("Control+End")
    reply_box.type("Add a little palm sugar.")
    other.get_by_role("button", name="Post reply").click()
    expect(other.locator("#post-2")).to_contain_text("Add a little palm sugar.")
    expect(other.locator("#post-2 blockquote")).to_contain_text("Roast the chillies")
    like = other.locator("#post-1 .forum-like button")
    like.click()
    expect(other.locator("#post-1 .forum-like button")).to_have_attribute("aria-pressed", "true")
    expect(other.locator("#post-1 [data-like-count]")).to_have_text("1")

    # then the first member sees the reply, and the like
    page.reload()
    expect(page.locator("#post-2")).to_contain_text("Add a little palm sugar.")
    expect(page.locator("#post-1 .forum-like-count")).to_contain_text("1")
    screenshot(page, "forums-3-reply-seen")

    # when two members flag the reply
    for flagger in (flagger_1, flagger_2):
        tab = _signed_in(browser, live_server, flagger)
        _flag(tab, thread_url, 2)
        tab.context.close()

    # then it is gone for others (members and visitors alike)
    page.reload()
    expect(page.locator("#post-2")).to_have_count(0)
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(thread_url)
    expect(visitor.locator("#post-1")).to_be_visible()
    expect(visitor.locator("#post-2")).to_have_count(0)

    # when a moderator restores it in the admin
    moderator = make_moderator(email="mod@example.com")
    admin = _signed_in(browser, live_server, moderator, client=_moderator_client(moderator))
    reply = Post.objects.get(thread__title="Sambal in a cobek", number=2)
    admin.goto("/admin/community/post/?status__exact=hidden")
    admin.locator(f'input[name="_selected_action"][value="{reply.pk}"]').check()
    admin.locator('select[name="action"]').select_option("restore_content")
    admin.get_by_role("button", name=re.compile("^Go$|^Run$")).click()
    expect(admin.get_by_text("1 restored.")).to_be_visible()

    # then everyone sees it again
    page.reload()
    expect(page.locator("#post-2")).to_contain_text("Add a little palm sugar.")
    visitor.reload()
    expect(visitor.locator("#post-2")).to_contain_text("Add a little palm sugar.")
