"""Polls in Chromium: a member votes in an "after voting" poll and the
results replace the form in place; another member sees no results before
voting."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from community.models import Poll, PollBallot
from community.tests.factories import MemberFactory, poll_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _sign_in(page: Page, live_server, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_a_member_sees_results_after_voting_and_another_sees_none_before(page: Page, live_server):
    poll = poll_make(
        title="Which sambal next?",
        options=["Sambal Andaliman", "Sambal Dabu-dabu", "Sambal Cumi Asin"],
        results=Poll.Results.ON_VOTE,
    )
    first = MemberFactory(display_name="Dewi Lestari")
    second = MemberFactory(display_name="Agus Pratama")
    url = live_server.url + poll.get_absolute_url()

    # given the first member on the poll: a form, no results yet
    _sign_in(page, live_server, first)
    page.goto(url)
    card = page.locator(f"#poll-{poll.pk}")
    expect(card.get_by_role("heading", name="Which sambal next?")).to_be_visible()
    expect(card).to_contain_text("Vote to see the results.")
    expect(card.get_by_role("list", name="Results")).to_have_count(0)

    # when they choose an option and vote (htmx swaps the poll in place)
    card.get_by_label("Sambal Dabu-dabu").check()
    card.get_by_role("button", name="Vote").click()

    # then the results are shown with their vote, and the page did not reload
    results = page.locator(f"#poll-{poll.pk}").get_by_role("list", name="Results")
    expect(results).to_be_visible()
    expect(results.locator(".poll-result.is-chosen")).to_contain_text("Sambal Dabu-dabu")
    expect(results.locator(".poll-result.is-chosen")).to_contain_text("100%")
    expect(page.locator(f"#poll-{poll.pk}")).to_contain_text("Thank you for voting.")
    expect(page.locator(f"#poll-{poll.pk}")).to_contain_text("1 voter")
    assert PollBallot.objects.filter(poll=poll, voter=first).count() == 1

    # and a second member sees no results before voting
    _sign_in(page, live_server, second)
    page.goto(url)
    card = page.locator(f"#poll-{poll.pk}")
    expect(card).to_contain_text("Vote to see the results.")
    expect(card.get_by_role("list", name="Results")).to_have_count(0)
    expect(card).not_to_contain_text("100%")
    expect(card.get_by_role("button", name="Vote")).to_be_visible()
