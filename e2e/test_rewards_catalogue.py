"""The rewards catalogue in Chromium: a member redeems points for a
free-shipping reward, sees the code, and the checkout takes the shipping off
with it; a visitor sees the catalogue with a sign-in prompt; a member's
public profile shows their tier and badges. Desktop and phone widths."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from community.services.members import member_profile
from community.tests.factories import MemberFactory
from loyalty.models import Badge, BadgeLevel, MemberTier, Reward, RewardKind, Tier
from loyalty.services.badges import badge_give
from loyalty.services.ledger import points_award
from shop.services.catalog import product_refresh
from shop.tests.factories import ProductFactory, ShippingMethodFactory, category_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Set E2E_SCREENSHOTS=/some/dir to keep pictures of the pages a journey sees.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
NBSP = "\N{NO-BREAK SPACE}"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("narrow", PHONE)):
            page.set_viewport_size(size)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size(DESKTOP)


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.fixture
def catalogue():
    """The demo catalogue: three rewards members can buy, one sold out."""
    rewards = {
        "free": Reward.objects.create(
            name="Free delivery",
            description="Any courier, anywhere in Indonesia.",
            kind=RewardKind.FREE_SHIPPING,
            points_price=800,
            valid_days=30,
        ),
        "fixed": Reward.objects.create(
            name="Rp 25.000 off",
            kind=RewardKind.FIXED,
            value=Decimal("25000"),
            minimum_subtotal=Decimal("150000"),
            points_price=1000,
            stock=12,
        ),
        "percent": Reward.objects.create(
            name="10% off your next order",
            description="Good for a big basket of batik or coffee.",
            kind=RewardKind.PERCENT,
            value=Decimal("10"),
            points_price=2500,
            limit_per_member=1,
        ),
        "gone": Reward.objects.create(
            name="Kopi Gayo tasting set",
            description="Rp 100.000 off a tasting set, while they last.",
            kind=RewardKind.FIXED,
            value=Decimal("100000"),
            points_price=5000,
            stock=5,
        ),
    }
    Reward.objects.filter(pk=rewards["gone"].pk).update(bought_count=5)
    return rewards


def test_a_member_redeems_free_shipping_and_uses_the_code_at_checkout(
    page: Page, live_server, catalogue
):
    # given a member with 3,200 points and a product sent by JNE
    base = live_server.url
    member = MemberFactory(display_name="Siti Rahma")
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=3200)
    product = ProductFactory(
        name="Tenun Ikat Sumba",
        category=category_create("Weaving"),
        variant__price=Decimal("250000"),
        variant__stock=10,
    )
    product_refresh(product_id=product.pk)
    ShippingMethodFactory(name="JNE Reguler", price=Decimal("18000"))
    _sign_in(page, live_server, member)

    # when they open the catalogue from the Rewards page
    page.set_viewport_size(DESKTOP)
    page.goto(base + reverse("loyalty:index"))
    screenshot(page, "rewards-index")
    page.get_by_role("link", name="Redeem for rewards").click()
    expect(page.get_by_role("heading", name="Rewards catalogue")).to_be_visible()
    expect(page.locator(".catalogue-balance")).to_contain_text("You have 3,200 points to spend.")
    expect(page.locator(f"#reward-{catalogue['gone'].pk}")).to_contain_text("Sold out")
    screenshot(page, "catalogue-member")

    # and redeem 800 points for free delivery
    page.locator(f"#reward-{catalogue['free'].pk}").get_by_role(
        "button", name="Redeem for 800 points"
    ).click()

    # then the code is shown with how to use it, and the points are spent
    expect(page.get_by_role("heading", name="Your code is ready")).to_be_visible()
    code = page.locator("#reward-code").input_value()
    assert code.startswith("RW-")
    expect(page.locator(".messages")).to_contain_text("You bought “Free delivery” for 800 points.")
    expect(page.locator(".catalogue-balance")).to_contain_text("You have 2,400 points to spend.")
    expect(page.locator("table.my-rewards")).to_contain_text(code)
    screenshot(page, "catalogue-bought")

    # when they put the product in the cart and enter the code at checkout
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("banner").locator("#cart-count")).to_have_text("1")
    page.goto(base + reverse("shop:checkout"))
    page.get_by_label("Reward code").fill(code)
    page.get_by_label("Reward code").dispatch_event("change")

    # then the summary takes the shipping off
    summary = page.locator("#checkout-summary")
    expect(summary).to_contain_text("Discount (Free delivery)")
    expect(summary.locator('[data-summary="total"]')).to_have_text(f"Rp{NBSP}250,000")
    screenshot(page, "checkout-free-shipping")


def test_a_visitor_sees_the_catalogue_and_is_asked_to_sign_in(page: Page, live_server, catalogue):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + reverse("loyalty:catalogue"))

    expect(page.get_by_role("heading", name="Sign in to redeem your points")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in to redeem")).to_have_count(4)
    expect(page.get_by_role("button", name="Redeem for 800 points")).to_have_count(0)
    screenshot(page, "catalogue-visitor")

    # and in Indonesian
    page.goto(live_server.url + "/id/rewards/catalogue/")
    expect(page.get_by_role("heading", name="Katalog hadiah")).to_be_visible()
    expect(page.get_by_role("link", name="Masuk untuk menukar")).to_have_count(4)
    expect(page.locator(f"#reward-{catalogue['fixed'].pk}")).to_contain_text(
        f"Potongan Rp{NBSP}25.000 untuk satu pesanan"
    )
    screenshot(page, "catalogue-visitor-id")


def test_a_members_profile_shows_their_tier_and_badges(page: Page, live_server):
    # given a Gold member with three badges and some points
    member = MemberFactory(display_name="Dewi Lestari", bio="Weaver from Sumba.")
    points_award(user_id=member.pk, rule="adjust", subject="gift", points=12_345)
    gold = Tier.objects.create(name="Gold", threshold=Decimal("10000"), badge_label="Gold")
    MemberTier.objects.update_or_create(user=member, defaults={"tier": gold})
    for code, name, level, description in [
        ("first-review", "First review", BadgeLevel.BRONZE, "Wrote a first review"),
        ("helpful", "Helpful neighbour", BadgeLevel.SILVER, "25 helpful answers"),
        ("critic", "Top critic", BadgeLevel.GOLD, "100 reviews"),
    ]:
        badge = Badge.objects.create(
            code=code,
            name=name,
            level=level,
            description=description,
            rule="review",
            criterion="award_count",
        )
        badge_give(user_id=member.pk, badge=badge)
    handle = member_profile(user=member).handle

    # when anyone opens it
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + reverse("community:profile", args=[handle]))

    # then the tier and badges are there, and not the points
    section = page.get_by_role("region", name="Tier and badges")
    expect(section).to_contain_text("Gold")
    expect(section.locator(".badge-tile")).to_have_count(3)
    expect(section.locator(".badge-tile").first).to_contain_text("Top critic")
    expect(page.locator("body")).not_to_contain_text("12,345")
    screenshot(page, "profile-badges")
