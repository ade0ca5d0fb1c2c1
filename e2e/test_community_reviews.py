"""A shopper with a paid order reviews the product in Chromium, with a photo,
and sees the review, its photo and the verified-buyer badge on the product
page; another member finds it helpful with htmx."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from community.models import Review, ReviewPhoto
from community.tests.factories import MemberFactory, paid_order, trusted
from e2e.helpers import write_png
from shop.tests.factories import ProductFactory, category_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


# Set E2E_SCREENSHOTS=/some/dir to keep pictures of the pages a journey sees.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _member(email: str, name: str):
    user = trusted(MemberFactory(email=email, display_name=name), 2)
    return user


def test_buyer_reviews_with_a_photo_and_sees_the_verified_badge(
    page: Page, live_server, tmp_path, browser_problems
):
    base = live_server.url
    browser_problems.allow(r"/write/.*status of 400|status of 400.*/write/")  # the form sent back
    product = ProductFactory(name="Kopi Gayo", category=category_create("Coffee"))
    buyer = _member("siti@example.com", "Siti Rahma")
    paid_order(buyer, product)
    photo = write_png(tmp_path / "cup.png")

    # given a visitor on the product page: no reviews yet, asked to sign in
    page.goto(base + product.get_absolute_url())
    reviews = page.locator("#reviews")
    expect(reviews).to_contain_text("No reviews yet")
    expect(reviews.get_by_role("link", name="Sign in to review")).to_be_visible()

    # when the buyer writes a review with a photo, first forgetting the title
    _sign_in(page, live_server, buyer)
    page.goto(base + product.get_absolute_url())
    page.locator("#reviews").get_by_role("link", name="Write a review").click()
    page.locator('input[name="stars"][value="5"]').check()
    page.get_by_label("Your review").fill("Harum, segar, **mantap**.")
    page.locator("#id_photos").set_input_files(str(photo))
    page.get_by_role("button", name="Post review").click()

    # then the form comes back with a message and keeps the text
    expect(page.locator(".errorlist, .form-errors").first).to_be_visible()
    expect(page.get_by_label("Your review")).to_have_value("Harum, segar, **mantap**.")
    assert not Review.objects.exists()

    page.get_by_label("Title").fill("Kopi terbaik")
    page.locator("#id_photos").set_input_files(str(photo))
    page.get_by_role("button", name="Post review").click()
    expect(page.locator(".message-success, [role=status]").first).to_contain_text(
        "Thank you for your review"
    )
    review = Review.objects.get()
    assert review.verified_buyer and ReviewPhoto.objects.filter(review=review).count() == 1

    # and on the product page: stars, the review, its photo, the badge
    page.goto(base + product.get_absolute_url())
    section = page.locator("#reviews")
    expect(section).to_contain_text("Kopi terbaik")
    expect(section.locator(".badge-verified")).to_contain_text("Verified buyer")
    expect(section.locator(".review-photos img")).to_have_count(1)
    expect(section.get_by_role("link", name="Edit your review")).to_be_visible()
    expect(page.locator(".product-rating")).to_contain_text("Rated 5.0 out of 5 from 1 review")
    screenshot(page, "reviews-product-page")

    # when another member finds it helpful (htmx swaps the button)
    _sign_in(page, live_server, _member("budi@example.com", "Budi"))
    page.goto(base + product.get_absolute_url())
    page.locator("#reviews").get_by_role("button", name="Helpful · 0").click()
    expect(page.locator("#reviews").get_by_role("button", name="✓ Helpful · 1")).to_be_visible()
    review.refresh_from_db()
    assert review.helpful_count == 1
    page.goto(base + f"/community/reviews/{product.slug}/")
    screenshot(page, "reviews-list")
