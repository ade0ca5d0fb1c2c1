"""A member's Rewards page and the leaderboards in Chromium, on a desktop
and a phone: every block renders under the Content-Security-Policy, the
referral link copies with one click, and nothing overflows a narrow screen."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from loyalty.models import (
    Badge,
    Challenge,
    EarlyAccessDrop,
    EarningRule,
    MemberBadge,
    Referral,
    ReferralCode,
    Tier,
)
from loyalty.services.ledger import points_award
from loyalty.services.rules import earning_rules_ensure
from loyalty.tests.shop_rows import product_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _earn(member, points, *, area="reviews", rule="review"):
    points_award(
        user_id=member.pk,
        rule=rule,
        subject=f"{rule}:{uuid.uuid4().hex[:10]}",
        points=points,
        area=area,
        source_event_id=uuid.uuid4(),
        occurred_at=timezone.now(),
    )


@pytest.fixture
def member():
    earning_rules_ensure()
    # The figures below stay put: no daily-visit point on the first page view.
    EarningRule.objects.filter(code="daily_visit").update(enabled=False)
    Tier.objects.create(name="Perunggu", threshold=0, description="Birthday points")
    Tier.objects.create(
        name="Perak",
        threshold=500,
        multiplier=Decimal("1.25"),
        badge_label="Perak",
        description="Free shipping on Fridays\nA monthly voucher",
    )
    Tier.objects.create(
        name="Emas",
        threshold=2000,
        multiplier=Decimal("1.5"),
        badge_label="Emas",
        description="Early access to every drop\nA gift each year",
    )
    wulan = UserFactory(display_name="Wulan Sari", email="wulan@example.com")
    for name, points in [
        ("Ayu Lestari", 2400),
        ("Budi Santoso", 1800),
        ("Citra Dewi", 1250),
        ("Dimas Pratama", 980),
        ("Eka Putri", 800),
        ("Fajar Nugroho", 780),
        ("Gita Maharani", 430),
    ]:
        _earn(UserFactory(display_name=name), points)
    _earn(wulan, 440)
    _earn(wulan, 120, area="forum", rule="forum_reply")
    now = timezone.now()
    reviewer = Badge.objects.create(
        code="reviewer", name="Reviewer", rule="review", description="Five reviews"
    )
    Badge.objects.create(
        code="critic", name="Top critic", rule="review", threshold=50, level="gold"
    )
    Badge.objects.create(code="helper", name="Helper", rule="answer", level="silver")
    MemberBadge.objects.create(user=wulan, badge=reviewer)
    Challenge.objects.create(
        name="Three reviews this week",
        rule="review",
        target=3,
        bonus_points=100,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
    )
    later = now + timedelta(days=10)
    EarlyAccessDrop.objects.create(
        name="Batik Parang preview",
        description="Hand-drawn batik from Solo",
        product_ids=[product_create(launch_at=later, name="Batik Parang").pk],
        opens_at=now - timedelta(hours=2),
    )
    EarlyAccessDrop.objects.create(
        name="Tenun Sumba",
        product_ids=[product_create(launch_at=later, name="Tenun").pk],
        opens_at=now - timedelta(hours=1),
        audience="tier",
        tier="perak",
    )
    EarlyAccessDrop.objects.create(
        name="Gold weekend",
        product_ids=[product_create(launch_at=later, name="Songket").pk],
        opens_at=now - timedelta(hours=1),
        audience="tier",
        tier="emas",
    )
    for index, friend in enumerate(UserFactory.create_batch(3)):
        Referral.objects.create(
            referrer=wulan, referred=friend, first_order_id=7 if index == 0 else None
        )
    _earn(wulan, 200, area="account", rule="referral")
    return wulan


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_member_sees_every_block_of_the_rewards_page(
    page: Page, live_server, member, viewport, label
):
    # given
    page.set_viewport_size(viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    _sign_in(page, live_server, member)

    # when
    page.goto(f"{live_server.url}/rewards/")

    # then
    expect(page.get_by_role("heading", name="Your tier")).to_be_visible()
    expect(page.locator(".tier-to-next")).to_have_text("1,240 more points to Emas")
    expect(page.get_by_role("heading", name="This month's leaders")).to_be_visible()
    expect(page.locator(".board-note")).to_contain_text(
        "You are number 7 this month with 760 points."
    )
    expect(page.locator(".teaser-figure")).to_contain_text("2 drops are open to you now")
    code = ReferralCode.objects.get(user=member).code
    expect(page.get_by_label("Your link")).to_have_value(
        f"{live_server.url}/accounts/signup/?ref={code}"
    )
    expect(page.locator(".referral-stats dd")).to_have_text(["3", "1", "200"])
    expect(page.get_by_role("heading", name="How to earn points")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width}px wide"
    screenshot(page, f"rewards-{label}")

    # and the link copies with one click
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#referral-copied")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"?ref={code}")


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_leaderboards_page_switches_period_and_area(
    page: Page, live_server, member, viewport, label
):
    # given
    page.set_viewport_size(viewport)
    _sign_in(page, live_server, member)

    # when
    page.goto(f"{live_server.url}/rewards/leaderboards/")

    # then
    expect(page.locator(".board-row").first).to_contain_text("Ayu Lestari")
    expect(page.locator(".board-row.is-me")).to_contain_text("Wulan Sari")
    expect(page.locator(".board-me-line")).to_have_text("Your place: number 7, with 760 points.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width}px wide"
    screenshot(page, f"leaderboards-{label}")

    # and the forums board is one click away
    page.get_by_role("link", name="Forums").click()
    expect(page.locator(".board-row")).to_have_count(1)
    expect(page.locator(".board-row.is-me")).to_contain_text("120 points")
    if label == "desktop":
        screenshot(page, "leaderboards-forums")


def test_a_visitor_sees_how_to_earn_and_the_leaders(page: Page, live_server, member):
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_server.url}/rewards/")

    expect(page.get_by_role("heading", name="Join to start earning")).to_be_visible()
    expect(page.get_by_role("heading", name="How to earn points")).to_be_visible()
    expect(page.get_by_text("Write a product review")).to_be_visible()
    expect(page.get_by_role("heading", name="Your tier")).to_have_count(0)
    screenshot(page, "rewards-visitor")


def test_the_rewards_page_reads_in_indonesian_on_a_phone(
    page: Page, live_server, member, compiled_translations
):
    page.set_viewport_size(PHONE)
    _sign_in(page, live_server, member)

    page.goto(f"{live_server.url}/id/rewards/")

    expect(page.get_by_role("heading", name="Tingkatan Anda")).to_be_visible()
    expect(page.locator(".tier-to-next")).to_have_text("1.240 poin lagi untuk mencapai Emas")
    expect(page.locator("#referral-text")).to_contain_text("Yuk gabung di Kampung")
    expect(page.get_by_role("heading", name="Cara mendapatkan poin")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"
    screenshot(page, "rewards-phone-id")
    page.goto(f"{live_server.url}/id/rewards/leaderboards/?scope=week")
    expect(page.get_by_role("link", name="Minggu ini")).to_have_attribute("aria-current", "page")
    screenshot(page, "leaderboards-phone-id")
