"""Questions and answers in Chromium: a member asks about a product from its
page, another member answers, a third answer comes in, the asker accepts
the first; the accepted answer then shows first, with its mark, on the
question page and under the product."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from community.models import Answer, Question
from community.tests.factories import MemberFactory, buy, trusted
from shop.tests.factories import ProductFactory, category_create

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


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_a_member_asks_another_answers_and_the_accepted_answer_shows_first(page: Page, live_server):
    base = live_server.url
    product = ProductFactory(name="Kopi Gayo 250 g", category=category_create("Kopi"))
    asker = trusted(MemberFactory(display_name="Siti Asker"))
    owner = trusted(MemberFactory(display_name="Budi Owner"))
    other = trusted(MemberFactory(display_name="Agus Other"))
    buy(owner, product)

    # the asker asks from the product page
    _sign_in(page, live_server, asker)
    page.goto(base + product.get_absolute_url())
    section = page.locator("#questions")
    expect(section.get_by_role("heading", name="Questions about this product")).to_be_visible()
    section.get_by_label("Your question").fill("Is it good for a moka pot?")
    section.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", name="Is it good for a moka pot?")).to_be_visible()
    expect(page.get_by_text("Your question is posted.")).to_be_visible()
    question = Question.objects.get()
    assert (question.product_id, question.author_id) == (product.pk, asker.pk)

    # another member answers (first a later one by someone else)
    _sign_in(page, live_server, other)
    page.goto(base + question.get_absolute_url())
    page.get_by_role("textbox", name="Answer").fill("I would use a V60 instead.")
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_text("Your answer is posted.")).to_be_visible()

    _sign_in(page, live_server, owner)
    page.goto(base + question.get_absolute_url())
    page.get_by_role("textbox", name="Answer").fill("Yes, ask for a **fine** grind.")
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_text("Your answer is posted.")).to_be_visible()
    owners_answer = Answer.objects.get(author=owner)
    expect(page.locator(f"#answer-{owners_answer.pk}")).to_contain_text("Verified owner")

    # the owner votes the first answer up (htmx swaps the buttons)
    _sign_in(page, live_server, owner)
    page.goto(base + question.get_absolute_url())
    first_answer = Answer.objects.get(author=other)
    vote = page.locator(f"#vote-{first_answer.pk}")
    vote.get_by_role("button", name="Useful", exact=True).click()
    expect(vote.locator(".qa-score")).to_have_text("1")
    expect(
        page.locator(f"#vote-{first_answer.pk}").get_by_role("button", name="Useful", exact=True)
    ).to_have_attribute("aria-pressed", "true")

    # the asker accepts the owner's answer, which had the lower score
    _sign_in(page, live_server, asker)
    page.goto(base + question.get_absolute_url())
    page.locator(f"#answer-{owners_answer.pk}").get_by_role(
        "button", name="Accept this answer"
    ).click()
    expect(page.get_by_text("You accepted this answer.")).to_be_visible()

    # then it shows first, with its mark
    answers = page.locator("article.qa-answer")
    expect(answers).to_have_count(2)
    expect(answers.first).to_have_attribute("id", f"answer-{owners_answer.pk}")
    expect(answers.first).to_contain_text("Accepted answer")
    expect(answers.nth(1)).not_to_contain_text("Accepted answer")
    screenshot(page, "qa-question-accepted")

    # and under the product, for a visitor too
    page.context.clear_cookies()
    page.goto(base + product.get_absolute_url())
    section = page.locator("#questions")
    expect(section).to_contain_text("Is it good for a moka pot?")
    expect(section).to_contain_text("Accepted answer")
    expect(section).to_contain_text(re.compile("fine\\s+grind"))
    expect(section.get_by_role("link", name="Log in to ask a question")).to_be_visible()
    screenshot(page, "qa-product-section")
