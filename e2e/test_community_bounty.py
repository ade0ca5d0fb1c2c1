"""A bounty in Chromium: a member offers points on a question from its page
(first more than they have, and is told so beside the field), an answerer
sees the bounty on the question and "+N" in the list, and the accepted
answer receives the points."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from community.tests.factories import MemberFactory, answer_make, question_make, trusted
from loyalty.models import Bounty, BountyStatus
from loyalty.selectors.ledger import balance_of
from loyalty.services.ledger import points_award

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Set E2E_SCREENSHOTS=/some/dir to keep pictures of the pages the journey sees.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


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


def test_a_member_offers_a_bounty_and_the_accepted_answer_receives_it(page: Page, live_server):
    base = live_server.url
    asker = trusted(MemberFactory(display_name="Siti Rahma"))
    helper = trusted(MemberFactory(display_name="Budi Santoso"))
    points_award(user_id=asker.pk, rule="adjust", subject="gift", points=300)
    question = question_make(
        asker,
        title="Which wax gives the finest lines on batik tulis?",
        body="I am starting with a canting and the lines keep bleeding.",
    )
    answer_make(question, trusted(MemberFactory(display_name="Agus")), body="Try paraffin.")

    # the asker opens the offer form and asks for more than they have
    _sign_in(page, live_server, asker)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(base + question.get_absolute_url())
    page.get_by_text("Offer a bounty").click()
    field = page.get_by_label("Points to offer")
    expect(page.locator("#bounty-points-help")).to_contain_text("You have 300 available.")
    field.fill("400")
    page.get_by_role("button", name="Offer the bounty").click()

    # then the form is open again, says why, and keeps what was typed
    expect(page.get_by_role("alert")).to_have_text(
        "Not enough points: you have 300 and this needs 400."
    )
    expect(page.get_by_label("Points to offer")).to_have_value("400")
    screenshot(page, "bounty-offer-refused")

    # when they offer what they have
    page.get_by_label("Points to offer").fill("150")
    page.get_by_role("button", name="Offer the bounty").click()
    expect(page.get_by_text("Your bounty of 150 points is open until")).to_be_visible()
    panel = page.locator("#bounty")
    expect(panel).to_contain_text("Bounty: 150 points")
    expect(panel).to_contain_text("You offered this bounty")
    assert balance_of(user_id=asker.pk).available == 150

    # an answerer finds it among the open bounties, in the list and on the question
    _sign_in(page, live_server, helper)
    page.goto(base + "/rewards/bounties/")
    expect(page.get_by_role("link", name=question.title)).to_be_visible()
    screenshot(page, "bounty-open-list-page")
    page.goto(base + "/community/questions/")
    expect(page.locator(".qa-mark")).to_contain_text("+150")
    screenshot(page, "bounty-list-mark")
    page.get_by_role("link", name=question.title).click()
    expect(page.locator("#bounty")).to_contain_text("Offered by Siti Rahma")
    expect(page.get_by_text("Offer a bounty")).to_have_count(0)
    page.get_by_role("textbox", name="Answer").fill(
        "Use a mix of **beeswax** and a little paraffin, and keep the wax hot."
    )
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_text("Your answer is posted.")).to_be_visible()
    screenshot(page, "bounty-open-answerer")

    # the asker accepts the helper's answer: the bounty goes to it
    _sign_in(page, live_server, asker)
    page.goto(base + question.get_absolute_url())
    helper_answer = page.locator("article.qa-answer", has_text="beeswax")
    helper_answer.get_by_role("button", name="Accept this answer").click()
    expect(page.get_by_text("You accepted this answer.")).to_be_visible()
    bounty = Bounty.objects.get()
    assert (bounty.status, bounty.winner_id) == (BountyStatus.PAID, helper.pk)
    page.reload()
    expect(page.locator("#bounty")).to_contain_text(
        "A bounty of 150 points went to Budi Santoso's answer."
    )
    screenshot(page, "bounty-paid")
    assert balance_of(user_id=helper.pk).available >= 150

    # and the form reads in Indonesian too
    other = question_make(title="Apakah kain ini luntur saat dicuci?")
    _sign_in(page, live_server, helper)
    page.goto(base + "/id" + other.get_absolute_url())
    page.get_by_text("Tawarkan hadiah pertanyaan").click()
    expect(page.get_by_label("Poin yang ditawarkan")).to_be_visible()
    screenshot(page, "bounty-offer-form-id")
